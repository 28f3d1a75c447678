# SPDX-License-Identifier: BSD-3-Clause
"""Declarative appraisal policy (YAML or TOML), validated at load with one clear error line.

A policy maps device classes to a target trust level and the checks each level requires::

    version: 1
    id: example
    mode: strict                     # strict | relaxed
    level_set: 5                     # 5: disconnected, limited, DMA, Link, TCB; 4: Jason's 0..3
    unknown_devices: {target_level: 0}
    caps:                            # statements that hold for every class
      - {name: no-tsm, max_level: 2, when: {tsm_kind: [none]}, reason: never above 2 without a TSM}
    classes:
      - name: gpu-x
        match: {vendor_id: 0x10de, device_id: 0x2330}
        target_level: 4              # TCB, but only if every TCB requirement passes
      - name: nvme
        match: {class_code: 0x010802}
        target_level: 1              # held at 1: DMA restricted to bounce buffers ...
        require_level: 4             # ... yet it must be attested as for TCB (else 0)
        run: when_qualified          # and the agent moves it to RUN (relaxed level/state rule)

Requirements are cumulative (level L needs everything of levels 1..L); a class may
override the list of any level. Requirement names (:data:`REQUIREMENTS`) are evaluated by
:mod:`devtrust.appraise.decide`. In ``relaxed`` mode the claims named in ``relaxable``
turn from ``fail`` into ``warn`` and warnings satisfy requirements; in ``strict`` mode a
warning does not satisfy a requirement.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from devtrust.appraise.device_class import DeviceIdentity, DeviceMatch
from devtrust.appraise.errors import AppraisalInputError
from devtrust.appraise.fileformat import error_line, parse_text, read_text
from devtrust.appraise.report_check import ReportRules

__all__ = [
    "DEFAULT_POLICY",
    "DEFAULT_RELAXABLE",
    "LEVEL_NAMES",
    "REQUIREMENTS",
    "CapModel",
    "ClassModel",
    "Policy",
    "PolicyClass",
    "PolicyError",
    "default_requirements",
    "load_policy",
    "parse_policy",
]

Requirement = Literal[
    "chain", "signature", "measurements_known", "measurements_ok", "report", "binding",
    "link_protected", "tsm_link", "tsm_devsec", "tdisp_locked_or_run", "tdisp_run",
]
REQUIREMENTS: tuple[str, ...] = Requirement.__args__  # type: ignore[attr-defined]
TsmKind = Literal["none", "link", "devsec"]
TdispState = Literal["unlocked", "locked", "run", "error", "none"]

DEFAULT_POLICY = Path(__file__).resolve().parent / "policies" / "default.yaml"
LEVEL_NAMES = {
    5: ("disconnected", "limited", "DMA", "Link", "TCB"),
    4: ("blocked", "limited", "no-attacks", "private"),
}
_TCB_REQS = ("chain", "signature", "measurements_known", "report", "tsm_devsec",
             "tdisp_locked_or_run")
DEFAULT_RELAXABLE = ("report.first_range_at_bar_start", "report.bar_coverage",
                     "report.reporting_offset", "measurement.unlisted*")


def default_requirements(level_set: int) -> dict[int, tuple[str, ...]]:
    """Per-level requirement lists (non-cumulative; decide() accumulates them)."""
    if level_set == 5:
        return {1: (), 2: ("chain", "signature"), 3: ("link_protected",), 4: _TCB_REQS}
    return {1: (), 2: ("chain", "signature"), 3: _TCB_REQS}


class PolicyError(AppraisalInputError):
    """A policy file that does not parse or validate (one line: file, path, fix)."""


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class MatchModel(_Model):
    vendor_id: int | None = Field(default=None, ge=0, le=0xFFFF)
    device_id: int | None = Field(default=None, ge=0, le=0xFFFF)
    subsystem_vendor_id: int | None = Field(default=None, ge=0, le=0xFFFF)
    subsystem_id: int | None = Field(default=None, ge=0, le=0xFFFF)
    class_code: int | None = Field(default=None, ge=0, le=0xFFFFFF)
    class_code_mask: int = Field(default=0xFFFFFF, ge=0, le=0xFFFFFF)
    hw_identity: str | None = None

    def to_match(self) -> DeviceMatch:
        return DeviceMatch(**self.model_dump())


class WhenModel(_Model):
    """Conditions of a cap; all given conditions must hold."""

    tsm_kind: tuple[TsmKind, ...] | None = None
    tdisp_state: tuple[TdispState, ...] | None = None
    firmware_unknown: bool | None = None
    link_protected: bool | None = None


class CapModel(_Model):
    name: str = Field(min_length=1)
    max_level: int = Field(ge=0, le=4)
    when: WhenModel = WhenModel()
    reason: str = ""


class ReportModel(_Model):
    """Interface-report rule configuration (see :class:`report_check.ReportRules`)."""

    rules: dict[str, Literal["off", "warn", "fail"]] = {}
    allow_ats: bool = True
    allow_prs: bool = False
    allow_pasid: bool = True
    allow_non_tee: bool = True
    coverage: Literal["full", "msix_holes", "any"] = "msix_holes"
    first_range_at_bar_start: bool = False
    reporting_offset: Literal["any", "zero", "bar_aligned", "zero_or_bar_aligned"] = "any"

    @field_validator("rules", mode="before")
    @classmethod
    def _yaml_off(cls, value: object) -> object:
        # YAML 1.1 reads a bare ``off`` as false; accept it as the string the user meant.
        if isinstance(value, dict):
            return {k: ("off" if v is False else v) for k, v in value.items()}
        return value

    @model_validator(mode="after")
    def _known_rules(self) -> ReportModel:
        unknown = sorted(set(self.rules) - set(ReportRules.RULE_NAMES))
        if unknown:
            raise ValueError(f"unknown report rule(s) {unknown}; known: "
                             f"{', '.join(ReportRules.RULE_NAMES)}")
        return self

    def to_rules(self) -> ReportRules:
        return ReportRules(
            severity=tuple(sorted(self.rules.items())), allow_ats=self.allow_ats,
            allow_prs=self.allow_prs, allow_pasid=self.allow_pasid,
            allow_non_tee=self.allow_non_tee, coverage=self.coverage,
            first_range_at_bar_start=self.first_range_at_bar_start,
            reporting_offset=self.reporting_offset)


class LeafModel(_Model):
    """What the device certificate (leaf) must carry beyond libspdm's baseline checks."""

    require_cma_san: bool = False       # PCIe CMA otherName 2.23.147 naming this device
    require_dmtf_eku: bool = False      # id-DMTF-eku-responder-auth
    cert_model: Literal["device-cert", "alias-cert"] | None = None


class ClassModel(_Model):
    name: str = Field(min_length=1)
    description: str = ""
    match: MatchModel = MatchModel()
    target_level: int = Field(ge=0, le=4)
    hold_at: int | None = Field(default=None, ge=0, le=4)
    require_level: int | None = Field(default=None, ge=1, le=4)
    run: Literal["never", "when_qualified"] = "when_qualified"
    requirements: dict[int, tuple[Requirement, ...]] = {}
    caps: tuple[CapModel, ...] = ()
    report: ReportModel = ReportModel()
    leaf: LeafModel = LeafModel()


class UnknownModel(_Model):
    target_level: int = Field(default=0, ge=0, le=4)
    reason: str = "no policy class matches this device"


class Policy(_Model):
    """A whole policy file; :meth:`for_device` resolves the class for one device."""

    version: Literal[1]
    id: str = Field(min_length=1)
    mode: Literal["strict", "relaxed"] = "strict"
    level_set: Literal[4, 5] = 5
    relaxable: tuple[str, ...] = DEFAULT_RELAXABLE
    unknown_devices: UnknownModel = UnknownModel()
    caps: tuple[CapModel, ...] = ()
    classes: tuple[ClassModel, ...] = ()

    @model_validator(mode="after")
    def _cross_check(self) -> Policy:
        top = self.level_set - 1
        names = [c.name for c in self.classes]
        dup = sorted({n for n in names if names.count(n) > 1})
        if dup:
            raise ValueError(f"duplicate class name(s) {dup}")
        if "unknown" in names:
            raise ValueError("class name 'unknown' is reserved for unknown_devices")
        if self.unknown_devices.target_level > top:
            raise ValueError(f"unknown_devices.target_level exceeds {top} for level_set "
                             f"{self.level_set}")
        for i, cls in enumerate(self.classes):
            for field in ("target_level", "hold_at", "require_level"):
                value = getattr(cls, field)
                if value is not None and value > top:
                    raise ValueError(f"classes.{i}.{field} = {value} exceeds the top level "
                                     f"{top} of level_set {self.level_set}")
            bad = [lv for lv in cls.requirements if not 1 <= lv <= top]
            if bad:
                raise ValueError(f"classes.{i}.requirements: levels {bad} outside 1..{top}")
        return self

    def for_device(self, device: DeviceIdentity) -> PolicyClass:
        """The most specific matching class, or the unknown-device class."""
        best: tuple[int, int, ClassModel] | None = None
        for order, cls in enumerate(self.classes):
            match = cls.match.to_match()
            if match.matches(device):
                key = (match.specificity, -order)
                if best is None or key > best[:2]:
                    best = (key[0], key[1], cls)
        if best is None:
            return PolicyClass(
                name="unknown", policy_id=self.id, mode=self.mode, level_set=self.level_set,
                target_level=self.unknown_devices.target_level,
                target_source="policy:unknown_devices", target_reason=self.unknown_devices.reason,
                hold_at=None, require_level=None, run_allowed=False,
                requirements=self._requirements({}), caps=self.caps,
                relaxable=self.relaxable, report=ReportRules(), leaf=LeafModel())
        cls = best[2]
        return PolicyClass(
            name=cls.name, policy_id=self.id, mode=self.mode, level_set=self.level_set,
            target_level=cls.target_level, target_source=f"policy:class[{cls.name}].target_level",
            target_reason=cls.description or f"class {cls.name} targets level {cls.target_level}",
            hold_at=cls.hold_at, require_level=cls.require_level,
            run_allowed=cls.run == "when_qualified",
            requirements=self._requirements(cls.requirements), caps=self.caps + cls.caps,
            relaxable=self.relaxable, report=cls.report.to_rules(), leaf=cls.leaf)

    def _requirements(self, override: Mapping[int, tuple[str, ...]]) -> tuple[tuple[str, ...], ...]:
        reqs = default_requirements(self.level_set) | dict(override)
        return tuple(tuple(reqs.get(lv, ())) for lv in range(self.level_set))


class PolicyClass(_Model):
    """One device's resolved policy: what :func:`decide.decide` consumes.

    ``requirements[L]`` lists the requirements introduced at level ``L`` (index 0 unused).
    """

    name: str
    policy_id: str
    mode: Literal["strict", "relaxed"]
    level_set: Literal[4, 5]
    target_level: int
    target_source: str
    target_reason: str
    hold_at: int | None
    require_level: int | None
    run_allowed: bool
    requirements: tuple[tuple[str, ...], ...]
    caps: tuple[CapModel, ...]
    relaxable: tuple[str, ...]
    report: ReportRules
    leaf: LeafModel

    model_config = ConfigDict(extra="forbid", frozen=True, arbitrary_types_allowed=True)

    @property
    def tcb_level(self) -> int:
        return self.level_set - 1


def parse_policy(source: str, text: str, suffix: str = ".yaml") -> Policy:
    """Parse and validate policy text; any problem raises one-line :class:`PolicyError`."""
    data = parse_text(source, text, suffix, PolicyError)
    if not isinstance(data, dict):
        raise PolicyError(source, "<top>: a policy is a mapping (fix: start with 'version: 1')")
    try:
        return Policy.model_validate(data)
    except ValidationError as exc:
        raise PolicyError(source, error_line("", exc).lstrip(": ")) from None


def load_policy(path: str | Path) -> Policy:
    """Load a ``.yaml``/``.yml``/``.toml``/``.json`` policy file."""
    path = Path(path)
    return parse_policy(str(path), read_text(path, PolicyError), path.suffix.lower())
