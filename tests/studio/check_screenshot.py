"""Why: checks an app screenshot without image libraries: decodes the PNG (zlib + the five
PNG row filters), then asserts the frame is not blank and the Live triplets panel, whose
rectangle the app reports, is full of image content."""
import json
import struct
import sys
import zlib


def read_png(path):
    data = open(path, "rb").read()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat, width, height, channels = 8, b"", 0, 0, 0
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            width, height, depth, color = struct.unpack(">IIBB", body[:10])
            assert depth == 8, "8-bit PNG expected"
            channels = {0: 1, 2: 3, 6: 4}[color]
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    raw = zlib.decompress(idat)
    stride = width * channels
    rows, prev = [], bytearray(stride)
    for y in range(height):
        f = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - channels] if i >= channels else 0
            b = prev[i]
            c = prev[i - channels] if i >= channels else 0
            if f == 1:
                line[i] = (line[i] + a) & 255
            elif f == 2:
                line[i] = (line[i] + b) & 255
            elif f == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                pred = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
                line[i] = (line[i] + pred) & 255
        rows.append(line)
        prev = line
    return width, height, channels, rows


def gray_values(rows, channels, x0, y0, x1, y1):
    out = []
    for y in range(max(0, y0), y1, 2):
        row = rows[y]
        for x in range(max(0, x0), x1, 2):
            out.append(sum(row[x * channels:x * channels + 3]) // 3)
    return out


def spread(values):
    mean = sum(values) / len(values)
    return (sum((v - mean) ** 2 for v in values) / len(values)) ** 0.5


def main(png, report_path):
    width, height, channels, rows = read_png(png)
    report = json.load(open(report_path))
    everything = gray_values(rows, channels, 0, 0, width, height)
    assert spread(everything) > 10, "screenshot looks blank"
    x, y, w, h = [int(v) for v in report["panels"]["Live triplets"]]
    panel = gray_values(rows, channels, x, y + 60, x + w, min(height, y + h))
    distinct = len(set(v // 8 for v in panel))
    bright = sum(1 for v in panel if v > 150) / len(panel)
    print(f"screenshot {width}x{height}: spread {spread(everything):.1f}; triplets panel "
          f"{distinct} grey levels, {bright:.1%} bright pixels")
    assert distinct >= 16, "the triplets panel shows no images"
    assert bright > 0.02, "the triplets panel shows no garments"
    assert report["triplet_rows"] == 6, report
    assert report["model_loaded"] and report["explorer_result"], report
    assert abs(report["explorer_ratio"] - 0.9) < 1e-6, report
    assert report["snapshots"] >= 1 and report["last_step"] >= 1, report
    assert not report["internal_errors"], report["internal_errors"]


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
