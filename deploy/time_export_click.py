"""Times the 台账导出 click against a running server: logs in, posts the export form, prints how
long the POST took and the job's status then, and polls the job until it finishes.

    .venv/bin/python deploy/time_export_click.py http://127.0.0.1:8000 \\
        --user reviewer --password Demo-2026-pw --kind visit --region 510821 --year 2026

Only for servers of your own (it creates an export job)."""

import argparse
import re
import time

import requests


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("url")
    parser.add_argument("--user", default="reviewer")
    parser.add_argument("--password", default="Demo-2026-pw")
    parser.add_argument("--kind", default="visit")
    parser.add_argument("--region", default="510821")
    parser.add_argument("--year", default="2026")
    args = parser.parse_args()
    url = args.url.rstrip("/")
    session = requests.Session()
    session.get(f"{url}/accounts/login/", timeout=60)
    login = session.post(
        f"{url}/accounts/login/",
        data={
            "username": args.user,
            "password": args.password,
            "csrfmiddlewaretoken": session.cookies["csrftoken"],
        },
        allow_redirects=False,
        timeout=60,
    )
    if login.status_code != 302:
        raise SystemExit(f"login failed: {login.status_code}")
    session.get(f"{url}/ledgers/", timeout=60)
    form = {
        "kind": args.kind,
        "region": args.region,
        "year": args.year,
        "part": "",
        "mask_ids": "on",
        "csrfmiddlewaretoken": session.cookies["csrftoken"],
    }
    started = time.perf_counter()
    answer = session.post(f"{url}/ledgers/", data=form, allow_redirects=False, timeout=600)
    post = time.perf_counter() - started
    found = re.search(r"/jobs/(\d+)/", answer.headers.get("Location", ""))
    if not found:
        raise SystemExit(f"POST {answer.status_code} in {post:.2f} s: no background job")
    status_url = f"{url}/ledgers/jobs/{found.group(1)}/status/"
    status = session.get(status_url, timeout=60).json()
    print(
        f"POST {answer.status_code} in {post:.2f} s; job then {status['status']} {status['progress']}%"
    )
    seen = []
    while status["status"] in ("pending", "running"):
        time.sleep(0.5)
        status = session.get(status_url, timeout=60).json()
        seen.append(status["progress"])
    steps = ", ".join(str(p) for p in sorted(set(seen)))
    print(f"{status['status']} after {time.perf_counter() - started:.1f} s; progress seen: {steps}")


if __name__ == "__main__":
    main()
