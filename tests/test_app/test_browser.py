"""The browser app in a real browser: headless Chromium (Debian's package,
driven by playwright) uploads an image to ``tools/app.py`` serving the
suite's shapes model, and the label PNGs it downloads are what segplug.apis
returns, without and with the CRF."""
import os
import re
import shutil
import socket
import subprocess
import time
import urllib.request

import cv2
import numpy as np
import pytest
from PIL import Image

from segplug.apis import PytorchSegmenter, segment
from ..test_apis.trained import CONFIG, val_images, varied_checkpoint
from .test_app_models import _with_crf

pytestmark = pytest.mark.slow
CRF_ITERS = 5


def _chromium() -> str:
    path = shutil.which('chromium') or shutil.which('chromium-browser')
    if path is None:
        pytest.fail('chromium not found: make setup installs it (Debian: '
                    'apt-get install chromium)')
    return path


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


@pytest.fixture
def served(run_tool, python_exe, repo_root, shapes_root, tmp_path_factory):
    """(url, checkpoint) of tools/app.py serving the suite's shapes model
    with the test's shapes data as its val set."""
    checkpoint = varied_checkpoint(run_tool, shapes_root, tmp_path_factory)
    port = _free_port()
    env = dict(os.environ, GRADIO_ANALYTICS_ENABLED='False')
    proc = subprocess.Popen([
        python_exe, 'tools/app.py', CONFIG, checkpoint, '--port',
        str(port), '--cfg-options',
        f'val_dataloader.dataset.data_root={shapes_root}'
    ],
                            cwd=repo_root,
                            env=env,
                            stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT,
                            text=True)
    url = f'http://127.0.0.1:{port}/'
    try:
        deadline = time.monotonic() + 180
        while True:
            if proc.poll() is not None:
                pytest.fail(f'the app stopped: {proc.stdout.read()[-3000:]}')
            try:
                urllib.request.urlopen(url, timeout=5)
                break
            except OSError:
                if time.monotonic() > deadline:
                    pytest.fail('the app did not answer in 180 s')
                time.sleep(0.5)
        yield url, checkpoint
    finally:
        proc.terminate()
        proc.wait(30)


def _download(page, selector: str, path: str) -> np.ndarray:
    with page.expect_download() as download:
        page.click(selector)
    download.value.save_as(path)
    return np.array(Image.open(path))


def _run(page, selector: str) -> None:
    """Click Run and wait until ``selector`` (a download link of this run)
    is there."""
    page.click('#run')
    page.wait_for_selector(selector, timeout=120_000)


def test_a_person_uploads_an_image_and_sees_the_models_labels(
        served, shapes_root, tmp_path):
    from playwright.sync_api import sync_playwright
    url, checkpoint = served
    # a PNG: the page and the reference read the very same pixels
    photo = str(tmp_path / 'photo.png')
    cv2.imwrite(photo, cv2.imread(val_images(shapes_root)[0]))
    expected = segment(PytorchSegmenter(CONFIG, checkpoint), photo).labels
    with_crf = segment(
        PytorchSegmenter(_with_crf(CONFIG, CRF_ITERS), checkpoint),
        photo).labels
    screenshot = os.environ.get('SEGPLUG_APP_SCREENSHOT',
                                str(tmp_path / 'app.png'))
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=_chromium(), args=['--no-sandbox'])
        page = browser.new_page(viewport={'width': 1280, 'height': 1000})
        page.goto(url)
        page.set_input_files('#input-image input[type=file]', photo)
        _run(page, '#label-png a')
        labels = _download(page, '#label-png a', str(tmp_path / 'a.png'))
        np.testing.assert_array_equal(labels, expected)
        legend = page.inner_text('#legend')
        for cls in np.unique(expected):
            share = 100 * (expected == cls).mean()
            assert f'{share:.2f}%' in legend

        page.check('#crf input[type=checkbox]')
        page.fill('#crf-iters input[type=number]', str(CRF_ITERS))
        page.press('#crf-iters input[type=number]', 'Enter')
        _run(page, '#label-png-crf a')
        refined = _download(page, '#label-png-crf a', str(tmp_path / 'b.png'))
        np.testing.assert_array_equal(refined, with_crf)
        count = int((refined != expected).sum())
        assert count > 0, 'the CRF changed nothing on this image'
        times = page.inner_text('#times')
        assert f'with the CRF ({CRF_ITERS} iterations)' in times
        assert f'the CRF changed {count} pixels' in times
        page.screenshot(path=screenshot, full_page=True)

        page.click('#time-all')
        page.wait_for_selector('#backend-times table', timeout=120_000)
        rows = page.inner_text('#backend-times')
        assert re.search(r'PyTorch\s+[0-9.]+\s+100\.000%', rows), rows
        assert 'PyTorch --fast' in rows

        page.click('#val-image input')
        page.wait_for_selector('[role=option]')
        assert page.get_by_role('option').count() == len(
            val_images(shapes_root))
        browser.close()
    assert os.path.getsize(screenshot) > 10_000
