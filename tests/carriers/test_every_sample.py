"""Every real carrier payload in ../shared/carrier-samples is claimed by an adapter's tests.

Each carrier's test_samples.py parses its files with the adapter's own parsers; this test
makes sure no file (a new one, a new folder) slips through unparsed.
"""

from __future__ import annotations

from tests.carriers.bring.test_samples import SAMPLE_OPERATIONS as BRING
from tests.carriers.budbee.test_samples import SAMPLE_OPERATIONS as BUDBEE
from tests.carriers.dhl.test_samples import SAMPLE_OPERATIONS as DHL
from tests.carriers.postnord.test_samples import SAMPLE_OPERATIONS as POSTNORD
from tests.conftest import carrier_sample

SAMPLES = carrier_sample()
CLAIMED = {
    "bring": set(BRING),
    "budbee": set(BUDBEE),
    "dhl": set(DHL),
    "dhl-freight-se": set(DHL),
    "postnord": set(POSTNORD),
}


def test_every_sample_file_is_parsed_by_its_carriers_tests() -> None:
    folders = sorted(p for p in SAMPLES.iterdir() if p.is_dir())

    assert [f.name for f in folders] == sorted(CLAIMED)
    unclaimed = [
        f"{folder.name}/{path.name}"
        for folder in folders
        for path in folder.iterdir()
        if path.name not in CLAIMED[folder.name]
    ]
    assert unclaimed == []
