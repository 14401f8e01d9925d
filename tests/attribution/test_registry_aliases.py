"""No alias of the bundled registry is a bare corporate suffix (a YAML flow list split "Co., Ltd." into "Ltd.")."""

from netvet.attribution.registry import Registry

SUFFIXES = {"ltd", "inc", "co", "llc", "corp", "corporation", "limited", "gmbh", "sa", "ag", "plc", "company",
            "technology", "technologies", "group", "holdings"}


def test_no_alias_is_a_bare_suffix():
    reg = Registry.load()
    bad = [(e.id, a) for e in reg.entities.values() for a in [*e.aliases, *e.brands]
           if a.strip().lower().rstrip(".") in SUFFIXES]
    assert bad == []
    assert reg.lookup("Ltd.") is None
    assert reg.lookup("Beijing Raisecom Scientific & Technology Development Co., Ltd.").id == "raisecom"
