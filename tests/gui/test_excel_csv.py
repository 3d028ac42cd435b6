"""The export panel reads back the predictions it wrote with a byte-order mark (for
Excel on Windows): the first column is "path", so its table shows and hides the same
columns as before."""

from __future__ import annotations

import codecs

TABLE = "path,index,p_a,p_b,predicted,model,error,note\nBefund ä/x.png,0,0.9,0.1,a,m,,\n"


def test_predictions_with_a_byte_order_mark_show_path_as_the_first_column(
    make_window, project, tmp_path
):
    panel = make_window(project).export
    out = tmp_path / "predictions.csv"
    out.write_bytes(codecs.BOM_UTF8 + TABLE.encode("utf-8"))
    panel._predicted({"cancelled": False, "items": 1, "errors": 0, "out": str(out)})
    table = panel.predictions
    assert table.rows_model.headers[0] == "path"
    assert table.rows_model.rows[0][0] == "Befund ä/x.png"
    assert table.isColumnHidden(TABLE.split(",").index("model"))
