from netvet.attribution.names import AliasIndex, normalise


def test_normalise_strips_legal_forms_and_punctuation():
    assert normalise("HUAWEI TECHNOLOGIES CO.,LTD") == "HUAWEI TECHNOLOGIES"
    assert normalise("Huawei Technologies Co., Ltd.") == "HUAWEI TECHNOLOGIES"
    assert normalise("zte corporation") == "ZTE"
    assert normalise("Cisco Systems, Inc") == "CISCO SYSTEMS"
    assert normalise("Hangzhou Hikvision Digital Technology Co.,Ltd.") == "HANGZHOU HIKVISION DIGITAL TECHNOLOGY"
    assert normalise("AO Kaspersky Lab") == "AO KASPERSKY LAB"
    assert normalise("Kaspersky Lab, AO") == "KASPERSKY LAB"
    assert normalise("Société Générale S.A.") == "SOCIETE GENERALE"
    assert normalise("AT&T") == "AT AND T"
    # a name made only of a legal form is kept rather than emptied
    assert normalise("Ltd.") == "LTD"


def test_alias_index_exact_and_anchored_patterns_never_substrings():
    idx = AliasIndex()
    idx.add_exact("ZTE Corporation", "zte")
    idx.add_pattern(r"HUAWEI (TECHNOLOGIES|DEVICE)", "huawei")
    assert [m.entity_id for m in idx.match("zte corporation")] == ["zte"]
    assert [m.entity_id for m in idx.match("HUAWEI DEVICE CO., LTD.")] == ["huawei"]
    # substrings of a claimed name, or names containing it, are not claimed
    assert idx.match("ZTEC Instruments") == []
    assert idx.match("Shenzhen ZTE Mobile Telecom") == []
    assert idx.match("HUAWEI TECHNOLOGIES SWEDEN") == []
    assert idx.match("") == []
