# Why: the scripts that measure the studio as a person uses it each need an X server of their
# own at a fixed size, and the studio on its built-in default with a fresh layout (so that the
# coordinates they click are those of the default layout), started and ended the same way.
import contextlib
import os
import shutil
import subprocess
import tempfile
import time

from Xlib import display


@contextlib.contextmanager
def studio_on_xvfb(studio, display_name, settle_s=12):
    """Yields (Xlib display, its root window, an environment for xdotool) once the studio has
    drawn its first frames; whatever it writes goes to a scratch folder, removed afterwards."""
    xvfb = subprocess.Popen(["Xvfb", display_name, "-screen", "0", "1600x1000x24"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    scratch = tempfile.mkdtemp(prefix="mae-studio-measure-")
    app = None
    try:
        time.sleep(1.5)
        env = dict(os.environ, DISPLAY=display_name)
        app = subprocess.Popen(
            [os.path.abspath(studio), "--config-dir", scratch + "/config", "--export-dir",
             scratch + "/out"],
            cwd=scratch, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        d = display.Display(display_name)
        time.sleep(settle_s)  # first frames, checkpoint and explorer
        yield d, d.screen().root, env
    finally:
        if app:
            app.terminate()  # a training run saves its unsaved steps first
            try:
                app.wait(timeout=30)
            except subprocess.TimeoutExpired:
                app.kill()
        xvfb.terminate()
        shutil.rmtree(scratch, ignore_errors=True)
