"""`notebooks html`: the course's order, the page's parts, and bad input refused before any work."""

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from gan_keras.app import cli, course_html


def test_chapter_order_follows_the_number_prefix(tmp_path):
    names = ["10_image_to_image.ipynb", "02_loss.ipynb", "01_basics.ipynb", "09_modes.ipynb"]
    for name in names:
        nbformat.write(new_notebook(), tmp_path / name)
    ordered = course_html.chapter_order([tmp_path / n for n in names])
    assert [p.name for p in ordered] == ["01_basics.ipynb", "02_loss.ipynb", "09_modes.ipynb",
                                         "10_image_to_image.ipynb"]


def test_title_figures_and_errors_are_read_from_an_executed_notebook():
    nb = new_notebook(cells=[new_markdown_cell("# 03 · DCGAN\n\ntext"), new_code_cell("x")])
    nb.cells[1].outputs = [
        new_output("display_data", data={"image/png": "iVBORw0KGgo=", "text/plain": "<Figure>"}),
        new_output("error", ename="ValueError", evalue="bad", traceback=[]),
    ]
    assert course_html.title_of(nb) == "03 · DCGAN"
    assert course_html.count_figures(nb) == 1
    assert course_html.error_outputs(nb) == ["ValueError: bad"]
    page = course_html.render_page(nb, "03 · DCGAN")
    assert "data:image/png;base64,iVBORw0KGgo=" in page


def test_kernel_env_sets_fast_and_offline_and_removes_none(monkeypatch):
    monkeypatch.setenv("TF_CPP_MIN_LOG_LEVEL", "3")
    env = course_html.kernel_env(fast=False, offline=True, extra={"TF_CPP_MIN_LOG_LEVEL": None})
    assert env["GAN_KERAS_FAST"] == "0" and env["GAN_KERAS_OFFLINE"] == "1"
    assert "TF_CPP_MIN_LOG_LEVEL" not in env


@pytest.mark.parametrize("argv, message", [
    (["notebooks", "html", "--fast", "--out", "{file}"], "is a file, expected a folder"),
    (["notebooks", "student", "--fast"], "options of `notebooks html`"),
    (["notebooks", "html", "{missing}"], "no notebook at"),
    (["notebooks", "html", "{file}"], "must end in .ipynb"),
    (["notebooks", "html", "{corrupt}"], "not valid JSON"),
])
def test_bad_input_is_one_line_before_any_kernel_starts(argv, message, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "a_file.txt").write_text("x")
    (tmp_path / "corrupt.ipynb").write_text('{"cells": [')
    argv = [a.format(file=str(tmp_path / "a_file.txt"), missing=str(tmp_path / "no.ipynb"),
                     corrupt=str(tmp_path / "corrupt.ipynb")) for a in argv]
    assert cli.main(argv) != 0
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and message in err[0] and "Traceback" not in err[0]


def test_relative_links_point_at_the_same_files_from_the_output_folder(tmp_path):
    page = ('<a href="../course/03_dcgan.md#핵심-정리">n</a> <a href="https://x.org/a">w</a> '
            '<a href="#top">t</a> <a href="data/x.csv">d</a>')
    out = course_html.relink(page, tmp_path / "repo" / "notebooks", tmp_path / "repo" / "build" / "html")
    assert 'href="../../course/03_dcgan.md#핵심-정리"' in out
    assert 'href="https://x.org/a"' in out and 'href="#top"' in out
    assert 'href="../../notebooks/data/x.csv"' in out


def test_the_builder_refuses_what_the_command_line_would_before_any_kernel(tmp_path):
    (tmp_path / "a.txt").write_text("x")
    (tmp_path / "bad.ipynb").write_text("{")
    with pytest.raises(ValueError, match="expected chapter notebooks"):
        course_html.build_html([tmp_path / "a.txt"], tmp_path / "out", log=None)
    with pytest.raises(ValueError, match="is not a readable notebook"):
        course_html.build_html([tmp_path / "bad.ipynb"], tmp_path / "out", log=None)
    with pytest.raises(FileNotFoundError, match="no such notebook"):
        course_html.build_html([tmp_path / "none.ipynb"], tmp_path / "out", log=None)
    assert not (tmp_path / "out").exists()
