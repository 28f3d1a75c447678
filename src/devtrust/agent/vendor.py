# SPDX-License-Identifier: BSD-3-Clause
"""What device vendors publish, derived from an emulated fleet: roots and reference values.

On real systems these come from vendors (root certificates, RIMs/CoRIMs) and are
imported with ``devtrust refs import``; for the emulated platform the agent
derives them from the scenario, exactly as a vendor would from its own products:
the golden measurements of each model at its reference firmware.
"""

from __future__ import annotations

from cryptography import x509

from devtrust.appraise.device_class import DeviceMatch
from devtrust.appraise.refvalues import (
    DeviceRefs,
    Digest,
    MeasurementRef,
    RawRef,
    RefValues,
    ref_digest_name,
)
from devtrust.appraise.trust_store import TrustStore
from devtrust.hw.fleet import Fleet
from devtrust.hw.measurements import INDEX_SVN, INDEX_VERSION

__all__ = ["vendor_reference_values", "vendor_trust_store"]

def vendor_trust_store(fleet: Fleet) -> TrustStore:
    """The vendors' (genuine) roots; a counterfeit device's root is not among them."""
    return TrustStore.from_certificates(
        *(x509.load_der_x509_certificate(der) for der in fleet.trust_anchors))


def vendor_reference_values(fleet: Fleet) -> RefValues:
    """Reference values for every model of the scenario, for each function's device id."""
    entries = []
    hash_of = {dev.model: dev.spdm.measurement_hash_name for dev in fleet.devices}
    for model in fleet.scenario.models:
        if model.name not in hash_of:
            continue
        golden = fleet.reference_measurements(model.name)
        alg = hash_of[model.name]
        refs = []
        for m in golden.measurements:
            if m.index == INDEX_SVN:
                refs.append(MeasurementRef(m.index, svn_min=golden.svn))
            elif m.index == INDEX_VERSION:
                refs.append(MeasurementRef(m.index, versions=(golden.firmware_version,)))
            elif m.is_raw:
                refs.append(MeasurementRef(m.index, raw=(RawRef(m.content),)))
            else:
                refs.append(MeasurementRef(m.index, digests=(
                    Digest(ref_digest_name(alg), m.value(alg)),)))
        device_ids = {model.device_id, *(f.device_id for f in model.functions if f.device_id)}
        if model.sriov is not None:
            device_ids.add(model.sriov.vf_device_id)
        for device_id in sorted(device_ids):
            entries.append(DeviceRefs(f"{model.name}/{device_id:04x}",
                                      DeviceMatch(vendor_id=model.vendor_id,
                                                  device_id=device_id),
                                      tuple(refs), source=f"scenario:{fleet.scenario.name}"))
    return RefValues(tuple(entries))
