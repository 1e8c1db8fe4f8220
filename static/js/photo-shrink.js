/* Photos shrunk on the phone before they are stored or sent (issue 15): longest side 1,600 px,
   JPEG, under 1 MB, so a visit with three photos uploads on a weak signal. The capture time is
   kept the one way the server reads it: the EXIF DateTimeOriginal of the original is written
   into the shrunk JPEG (households/services.py photo_check takes it from there, and the credit
   check compares it with the visit date). Nothing else of the original's EXIF (the location)
   is copied. The product's own small file; no library. */
(function () {
  "use strict";

  var MAX_SIDE = 1600;
  var TARGET_BYTES = 1024 * 1024;
  var QUALITIES = [0.85, 0.75, 0.65, 0.5, 0.4];

  // --- reading the capture time of a JPEG ----------------------------------------------------
  function readAscii(view, offset, length) {
    var out = "";
    for (var i = 0; i < length; i++) {
      var c = view.getUint8(offset + i);
      if (c === 0) break;
      out += String.fromCharCode(c);
    }
    return out;
  }

  function ifdValue(view, tiff, ifd, little, tag) {
    var count = view.getUint16(tiff + ifd, little);
    for (var i = 0; i < count; i++) {
      var entry = tiff + ifd + 2 + i * 12;
      if (view.getUint16(entry, little) === tag) {
        var type = view.getUint16(entry + 2, little);
        var n = view.getUint32(entry + 4, little);
        if (type === 2) { // ASCII
          var at = n > 4 ? tiff + view.getUint32(entry + 8, little) : entry + 8;
          return readAscii(view, at, n);
        }
        return view.getUint32(entry + 8, little); // LONG (an offset)
      }
    }
    return null;
  }

  /** "YYYY:MM:DD HH:MM:SS" of a JPEG's EXIF (DateTimeOriginal, else DateTime), or null. */
  function captureTime(buffer) {
    try {
      var view = new DataView(buffer);
      if (view.getUint16(0) !== 0xffd8) return null;
      var offset = 2;
      while (offset + 4 < view.byteLength) {
        var marker = view.getUint16(offset);
        var size = view.getUint16(offset + 2);
        if (marker === 0xffe1 && readAscii(view, offset + 4, 4) === "Exif") {
          var tiff = offset + 10;
          var little = view.getUint16(tiff) === 0x4949;
          var ifd0 = view.getUint32(tiff + 4, little);
          var exifIfd = ifdValue(view, tiff, ifd0, little, 0x8769);
          var value = null;
          if (exifIfd) value = ifdValue(view, tiff, exifIfd, little, 0x9003);
          if (!value) value = ifdValue(view, tiff, ifd0, little, 0x0132);
          return /^\d{4}:\d\d:\d\d \d\d:\d\d:\d\d$/.test(value || "") ? value : null;
        }
        if ((marker & 0xff00) !== 0xff00 || marker === 0xffda) break;
        offset += 2 + size;
      }
    } catch (e) { /* a damaged EXIF block: no capture time, as on the server */ }
    return null;
  }

  // --- writing it into the shrunk JPEG -------------------------------------------------------
  /** A minimal EXIF APP1 segment: IFD0 DateTime and an Exif IFD with DateTimeOriginal. */
  function exifSegment(stamp) {
    var tiff = new DataView(new ArrayBuffer(96));
    tiff.setUint16(0, 0x4949); tiff.setUint16(2, 42, true); tiff.setUint32(4, 8, true);
    // IFD0 at 8: two entries (DateTime, ExifIFD pointer), next IFD 0
    tiff.setUint16(8, 2, true);
    tiff.setUint16(10, 0x0132, true); tiff.setUint16(12, 2, true);
    tiff.setUint32(14, 20, true); tiff.setUint32(18, 56, true);
    tiff.setUint16(22, 0x8769, true); tiff.setUint16(24, 4, true);
    tiff.setUint32(26, 1, true); tiff.setUint32(30, 38, true);
    tiff.setUint32(34, 0, true);
    // Exif IFD at 38: one entry (DateTimeOriginal), next IFD 0
    tiff.setUint16(38, 1, true);
    tiff.setUint16(40, 0x9003, true); tiff.setUint16(42, 2, true);
    tiff.setUint32(44, 20, true); tiff.setUint32(48, 76, true);
    tiff.setUint32(52, 0, true);
    for (var i = 0; i < 19; i++) {
      tiff.setUint8(56 + i, stamp.charCodeAt(i));
      tiff.setUint8(76 + i, stamp.charCodeAt(i));
    }
    var head = new Uint8Array([0xff, 0xe1, 0, 104, 0x45, 0x78, 0x69, 0x66, 0, 0]);
    var out = new Uint8Array(head.length + 96);
    out.set(head, 0);
    out.set(new Uint8Array(tiff.buffer), head.length);
    return out;
  }

  function withCaptureTime(blob, stamp) {
    if (!stamp) return Promise.resolve(blob);
    return blob.arrayBuffer().then(function (buffer) {
      var bytes = new Uint8Array(buffer);
      var segment = exifSegment(stamp);
      return new Blob([bytes.slice(0, 2), segment, bytes.slice(2)], { type: "image/jpeg" });
    });
  }

  // --- shrinking ----------------------------------------------------------------------------
  function decode(file) {
    if (window.createImageBitmap) {
      return createImageBitmap(file, { imageOrientation: "from-image" });
    }
    return new Promise(function (resolve, reject) {
      var img = new Image();
      var url = URL.createObjectURL(file);
      img.onload = function () { URL.revokeObjectURL(url); resolve(img); };
      img.onerror = function () { URL.revokeObjectURL(url); reject(new Error("decode")); };
      img.src = url;
    });
  }

  function encode(canvas, quality) {
    return new Promise(function (resolve, reject) {
      canvas.toBlob(function (blob) { blob ? resolve(blob) : reject(new Error("encode")); },
        "image/jpeg", quality);
    });
  }

  /** Shrinks one picked file. Resolves {blob, width, height, takenAt ("YYYY:MM:DD HH:MM:SS" or
      null), size}; rejects with {code: "bad"} when the file is no picture the browser reads. */
  function shrink(file) {
    var stamp = null;
    return file.arrayBuffer().then(function (buffer) {
      stamp = captureTime(buffer);
      return decode(file);
    }).then(function (picture) {
      var w = picture.width, h = picture.height;
      var scale = Math.min(1, MAX_SIDE / Math.max(w, h));
      var canvas = document.createElement("canvas");
      canvas.width = Math.max(1, Math.round(w * scale));
      canvas.height = Math.max(1, Math.round(h * scale));
      var ctx = canvas.getContext("2d");
      ctx.fillStyle = "#fff"; // a transparent PNG becomes a JPEG on white
      ctx.fillRect(0, 0, canvas.width, canvas.height);
      ctx.drawImage(picture, 0, 0, canvas.width, canvas.height);
      if (picture.close) picture.close();
      // a small preview as a data: URL (the page's policy allows data: images, not blob:)
      var t = Math.min(1, 112 / Math.max(canvas.width, canvas.height));
      var thumbCanvas = document.createElement("canvas");
      thumbCanvas.width = Math.max(1, Math.round(canvas.width * t));
      thumbCanvas.height = Math.max(1, Math.round(canvas.height * t));
      thumbCanvas.getContext("2d").drawImage(canvas, 0, 0, thumbCanvas.width, thumbCanvas.height);
      var thumb = thumbCanvas.toDataURL("image/jpeg", 0.7);
      var i = 0;
      var attempt = function () {
        return encode(canvas, QUALITIES[i]).then(function (blob) {
          if (blob.size >= TARGET_BYTES - 200 && i < QUALITIES.length - 1) { i++; return attempt(); }
          return blob;
        });
      };
      return attempt().then(function (blob) { return withCaptureTime(blob, stamp); })
        .then(function (blob) {
          return { blob: blob, width: canvas.width, height: canvas.height, takenAt: stamp, size: blob.size, thumb: thumb };
        });
    }, function () {
      var error = new Error("bad"); error.code = "bad"; throw error;
    });
  }

  window.PhotoShrink = { shrink: shrink, captureTime: captureTime, MAX_SIDE: MAX_SIDE, TARGET_BYTES: TARGET_BYTES };
})();
