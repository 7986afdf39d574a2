"""ghostnet_table regenerates the GhostNet paper's architecture table (Table 1) from the model."""

from ghostedu.models import GHOSTNET_CONFIG, GhostNet, ghostnet, ghostnet_table


def test_table_follows_the_configuration():
    model = ghostnet()
    table = ghostnet_table(model)
    rows = list(table)
    bottlenecks = [r for r in rows if r["operator"] == "G-bneck"]
    config = [row for stage in GHOSTNET_CONFIG for row in stage]
    assert [(r["#exp"], r["#out"], r["SE"], r["stride"]) for r in bottlenecks] == [
        (exp, out, se > 0, s) for _, exp, out, se, s in config
    ]
    assert rows[0] == {
        "stage": "stem",
        "input": "224²×3",
        "operator": "Conv2d 3×3",
        "#exp": None,
        "#out": 16,
        "SE": False,
        "stride": 2,
    }
    assert [r["input"] for r in rows[-3:]] == ["7²×960", "1²×960", "1²×1280"]
    assert [r["operator"] for r in rows[-4:]] == ["Conv2d 1×1", "AvgPool 7×7", "Conv2d 1×1", "FC"]
    assert len(rows) == 1 + len(config) + 4
    assert model.training  # the training mode is restored
    assert "G-bneck" in str(table) and "<table" in table._repr_html_()


def test_table_of_a_reduced_network_on_a_small_input():
    model = GhostNet(GHOSTNET_CONFIG[:3], num_classes=5, width=0.5)
    rows = list(ghostnet_table(model, (1, 3, 32, 32)))
    assert rows[1]["input"] == "16²×8"
    assert rows[-3]["operator"] == "AvgPool 8×8"
    assert rows[-1]["#out"] == 5
