#!/usr/bin/env python3
# Why: under load the studio draws few frames a second, and a person types a path and clicks
# on at once. When the window took typed letters one frame each but the click at once, the
# click ended the typing with half the path in the field. This measures, on a real X server
# while training runs, how often a path typed at 15 ms a key is whole in the field after a
# click that follows it at once. A benchmark that prints figures, not a test.
#
#   scripts/measure_typing_race.py [--trials 6] [--studio build/app/studio/mae-studio]
#
# Needs Xvfb, xdotool and python-xlib (pip install python-xlib). It starts its own Xvfb at
# 1600x1000 and the studio on its built-in default with a fresh layout, so the coordinates
# below are those of the default layout; the training it starts writes to a scratch folder.
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

from Xlib import X, display

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
    studio_path = os.path.abspath(args.studio)  # it runs in a scratch folder

    xvfb = subprocess.Popen(["Xvfb", args.display, "-screen", "0", "1600x1000x24"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    scratch = tempfile.mkdtemp(prefix="mae-typing-")
    studio = None
    try:
        time.sleep(1.5)
        env = dict(os.environ, DISPLAY=args.display)
        studio = subprocess.Popen(
            [studio_path, "--config-dir", scratch + "/config", "--export-dir", scratch + "/out"],
            cwd=scratch, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        d = display.Display(args.display)
        root = d.screen().root
        time.sleep(12)  # first frames, checkpoint and explorer
        # What the field shows with the path typed slowly, the click long after.
        type_into_field(env, TYPED, 60, 2.0)
        time.sleep(1.5)
        whole_path = grab(root, PATH_AREA)
        xdotool(env, "mousemove", *map(str, START), "click", "1")
        time.sleep(8)  # training under way: frames come slowly
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
    finally:
        if studio:
            studio.terminate()  # saves the run's unsaved steps, in the scratch folder
            try:
                studio.wait(timeout=30)
            except subprocess.TimeoutExpired:
                studio.kill()
        xvfb.terminate()
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
