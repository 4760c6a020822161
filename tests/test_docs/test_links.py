"""Every relative link in the README and the docs leads somewhere: a file
of the repository and, with a #fragment, one of that page's headings."""
import glob
import os.path as osp
import re

import pytest

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
TOP_PAGES = ('README.md', 'CONTRIBUTING.md', 'CHANGELOG.md')
PAGES = sorted([osp.join(ROOT, name) for name in TOP_PAGES] +
               glob.glob(osp.join(ROOT, 'docs', '*.md')) +
               glob.glob(osp.join(ROOT, 'configs', '*', 'README.md')))
LINK = re.compile(r'\[[^\]]*\]\(([^)\s]+)\)')


def _anchors(page: str) -> set:
    """GitHub's heading ids: lower case, punctuation dropped, spaces to -."""
    with open(page, encoding='utf-8') as f:
        headings = re.findall(r'^#+ (.+)$', f.read(), re.M)
    ids = (re.sub(r'[^\w\- ]', '', h.strip().lower()) for h in headings)
    return {i.replace(' ', '-') for i in ids}


def _code_free(text: str) -> str:
    return re.sub(r'```.*?```', '', text, flags=re.S)


@pytest.mark.parametrize('page', PAGES, ids=lambda p: osp.relpath(p, ROOT))
def test_relative_links_resolve(page):
    with open(page, encoding='utf-8') as f:
        links = LINK.findall(_code_free(f.read()))
    broken = []
    for link in links:
        if re.match(r'[a-z]+://', link):
            continue
        path, _, fragment = link.partition('#')
        target = osp.normpath(osp.join(osp.dirname(page), path)) \
            if path else page
        if not osp.exists(target):
            broken.append(link)
        elif fragment and fragment not in _anchors(target):
            broken.append(link)
    assert not broken, f'{osp.relpath(page, ROOT)}: {broken}'


def test_every_family_has_a_results_table():
    families = [
        d for d in glob.glob(osp.join(ROOT, 'configs', '*'))
        if osp.isdir(d) and not d.endswith('_base_')
    ]
    missing = [
        osp.basename(d) for d in families
        if not osp.exists(osp.join(d, 'README.md'))
    ]
    assert families and not missing, missing
