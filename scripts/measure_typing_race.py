#!/usr/bin/env python3
# Why: under load the studio draws few frames a second, and a person types a path and clicks
# on at once. When the window took typed letters one frame each but the click at once, the
# click ended the typing with half the path in the field. This measures, on a real X server
# while training runs, how often a path typed at 15 ms a key is whole in the field after a
# click that follows it at once. A benchmark that prints figures, not a test.
#
#   scripts/measure_typing_race.py [--trials 6] [--studio build/app/studio/mae-studio]
#
# Needs Xvfb, xdotool and python-xlib (pip install python-xlib); studio_on_xvfb.py starts
# both, so the coordinates below are those of the default layout.
import argparse
import json
import os
import subprocess
import sys
import time

from Xlib import X

from studio_on_xvfb import studio_on_xvfb

PATH_FIELD = (1106, 36)           # explorer: "path to an image"
PATH_AREA = (905, 26, 400, 22)    # x, y, w, h of its text
ELSEWHERE = (173, 921)            # checkpoint panel: the messages (a click there does nothing)
START = (29, 379)                 # training panel: Start
TYPED = "/tmp/photos_lab_b"


def grab(root, area):
    x, y, w, h = area
    return root.get_image(x, y, w, h, X.ZPixmap, 0xFFFFFFFF).data


def xdotool(env, *args):
    subprocess.run(["xdotool", *args], env=env, check=True)


def type_into_field(env, text, delay_ms, wait_before_click):
    xdotool(env, "mousemove", *map(str, PATH_FIELD), "click", "1")
    time.sleep(0.5)
    xdotool(env, "key", "ctrl+a")
    xdotool(env, "type", "--delay", str(delay_ms), text)
    time.sleep(wait_before_click)
    xdotool(env, "mousemove", *map(str, ELSEWHERE), "click", "1")


def main():
    root_dir = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    parser = argparse.ArgumentParser()
    parser.add_argument("--trials", type=int, default=6)
    parser.add_argument("--studio", default=os.path.join(root_dir, "build/app/studio/mae-studio"))
    parser.add_argument("--display", default=":94")
    args = parser.parse_args()

    with studio_on_xvfb(args.studio, args.display) as (_, root, env):
        # What the field shows with the path typed slowly, the click long after.
        type_into_field(env, TYPED, 60, 2.0)
        time.sleep(1.5)
        whole_path = grab(root, PATH_AREA)
        xdotool(env, "mousemove", *map(str, START), "click", "1")
        time.sleep(8)  # training under way, in the scratch folder: frames come slowly
        whole = 0
        for _ in range(args.trials):
            type_into_field(env, "x", 60, 2.0)  # a lost path must not leave the last one shown
            time.sleep(1.5)
            type_into_field(env, TYPED, 15, 0.0)
            time.sleep(3)
            whole += grab(root, PATH_AREA) == whole_path
    print(json.dumps({"typed": TYPED, "trials": args.trials, "whole_before_the_click": whole},
                     indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
