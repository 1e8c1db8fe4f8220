.PHONY: start test check
start:
	python3 dev.py start
test:
	python3 dev.py test
check:
	python3 dev.py check
