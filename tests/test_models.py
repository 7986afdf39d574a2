"""Whole models: the paper numbers, official checkpoint layout, the Q&A page's Net."""

import json
from pathlib import Path

import pytest
import torch

from ghostedu.counting import count_macs, count_params
from ghostedu.models import Net, ghostnet, mobilenet_v1

MANIFEST = Path(__file__).parent / "data" / "ghostnet_1.0_state_dict.json"


@pytest.mark.parametrize("width,params", [(1.0, 5_182_508), (0.5, 2_587_292), (1.3, 7_358_820)])
def test_ghostnet_params(width, params):
    assert count_params(ghostnet(width)) == params


def test_ghostnet_macs_against_paper():
    assert count_macs(ghostnet(1.0), (1, 3, 224, 224)) == 141_150_512  # paper: 141M
    macs_13 = count_macs(ghostnet(1.3), (1, 3, 224, 224))
    assert abs(macs_13 - 226e6) / 226e6 < 0.01  # paper: 226M


def test_ghostnet_state_dict_matches_official_manifest():
    entries = json.loads(MANIFEST.read_text())["entries"]
    sd = ghostnet().state_dict()
    assert len(sd) == len(entries) == 512
    assert [(k, list(v.shape)) for k, v in sd.items()] == [(k, s) for k, s in entries]
    # A checkpoint with exactly these keys and shapes loads strictly.
    fake = {
        k: torch.zeros(s, dtype=torch.long if k.endswith("num_batches_tracked") else torch.float32) for k, s in entries
    }
    ghostnet().load_state_dict(fake, strict=True)


def test_ghostnet_forward_and_bad_input():
    m = ghostnet(0.5, num_classes=7).eval()
    assert m(torch.randn(2, 3, 64, 64)).shape == (2, 7)
    with pytest.raises(ValueError, match=r"GhostNet: expected a 4-D input .* got a 3-D"):
        m(torch.randn(3, 64, 64))
    with pytest.raises(ValueError, match=r"GhostNet: expected 3 input channels .* got 1"):
        m(torch.randn(1, 1, 64, 64))


def test_mobilenet_v1_numbers():
    m = mobilenet_v1()
    assert count_params(m) == 4_231_976
    assert count_macs(m, (1, 3, 224, 224)) == 568_740_352
    assert len([b for b in m.features][1:]) == 13
    assert m(torch.randn(1, 3, 64, 64)).shape == (1, 1000)


def test_net_counts_and_outputs():
    net = Net().eval()
    # conv1 + BN + three branches (64->64->128->256 with kernel k) + fc
    by_formula = (
        (64 * 32 + 64)
        + 2 * 64
        + sum((64 * 64 * k + 64) + (64 * 128 * k + 128) + (128 * 256 * k + 256) for k in (3, 5, 7))
        + (768 * 4 + 4)
    )
    assert count_params(net) == by_formula == 682_500
    x = torch.randn(3, 1, 1024)
    probs = net(x)
    assert probs.shape == (3, 4)
    assert torch.allclose(probs.sum(1), torch.ones(3))
    assert torch.allclose(probs, torch.softmax(net.logits(x), 1))
    assert net.features(x).shape == (3, 768)
    for length in (1024, 1151):
        assert net(torch.randn(1, 1, length)).shape == (1, 4)


def test_net_attribute_names_are_those_of_the_qa_page():
    names = [n for n, _ in Net().named_children()]
    for k in (3, 5, 7):
        for i in (1, 2, 3):
            assert f"conv{k}_{i}" in names and f"pool{k}_{i}" in names
    assert {"conv1", "pool1", "BN", "pool2", "fc", "softmax"} <= set(names)


def test_net_rejects_wrong_length_clearly():
    with pytest.raises(ValueError) as err:
        Net()(torch.randn(1, 1, 2048))
    msg = str(err.value)
    assert "fc expects 768" in msg and "L=2048" in msg and "6,912" in msg and "1024..1151" in msg


@pytest.mark.parametrize(
    "length, words",
    [
        (1023, "pool2 gets 7 positions, fewer than its window of 8"),
        (100, "pool3_3 gets 1 position, fewer than its window of 2"),
        (5, "conv1 gets 5 positions (29 with its padding), fewer than its window of 32"),
    ],
)
def test_net_explains_a_length_below_its_range(length, words):
    with pytest.raises(ValueError) as err:
        Net().logits(torch.randn(2, 1, length))
    msg = str(err.value)
    assert msg.startswith(f"Net: an input of length L={length} is too short: {words}; ") and "1024..1151" in msg


def test_net_length_arithmetic_matches_running_it():
    """fc_features (formulas, nothing run) against the features Net computes, below, in and above its range."""
    net = Net().eval()
    for length in (126, 127, 128, 1022, 1023, 1024, 1151, 1152, 2048):
        try:
            ran = net.features(torch.zeros(1, 1, length)).shape[1]
        except RuntimeError:  # some pool has no room
            ran = None
        try:
            formula = net.fc_features(length)
        except ValueError:
            formula = None
        assert formula == ran, length
    assert net.input_lengths() == range(1024, 1152)


def test_net_length_arithmetic_follows_its_layers():
    net = Net()
    net.conv1 = torch.nn.Conv1d(1, 64, kernel_size=64, stride=16, padding=24)  # WDCNN's first layer
    accepted = net.input_lengths()
    assert accepted == range(2048, 2304) and net.fc_features(accepted.start) == 768
    with pytest.raises(ValueError, match=r"Net accepts lengths 2048\.\.2303"):
        net(torch.zeros(1, 1, 1024))


def test_net_rejects_2d_model_input():
    with pytest.raises(ValueError, match=r"Net: expected a 3-D input shaped \(N, C, L\), got a 4-D"):
        Net()(torch.randn(1, 1, 32, 32))
