"""One level of theory, however it is written: by a reference method, a potential, a data set.

A level of theory names how energies are computed: a method family and, where it has them, a
basis set and a density functional. References (:mod:`astray.reference`), potentials
(``level_of_theory_reference``), data sets (``level_of_theory`` in their metadata) and training
(``level_of_theory_reference`` of a checkpoint) all speak of it, each in its own dialect; they
meet in one frozen value, :class:`LevelOfTheory`, so that ``"B3LYP/6-31G"`` of a data set and
``"dft:b3lyp/6-31g"`` of a reference are the same thing and are stored under one key,
:attr:`LevelOfTheory.canonical`.

Examples:
    >>> LevelOfTheory.parse("dft/PBE/def2-TZVP").canonical
    'dft:pbe/def2-tzvp'
    >>> LevelOfTheory.parse("HF/6-31G*") == LevelOfTheory.parse("hf:6-31g*")
    True
    >>> LevelOfTheory.parse("fci/cbs").canonical
    'fci/cbs(aug-cc-pvtz+tight,aug-cc-pvqz+tight)'
    >>> LevelOfTheory.from_data_set("GFN2-xTB (tblite)").describe()
    'GFN2-xTB'
    >>> LevelOfTheory.from_data_set("unknown (extxyz)") is None
    True
"""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass

from astray.errors import ReferenceUnavailableError

#: Families of one basis set, written ``FAMILY:BASIS`` or ``FAMILY/BASIS``.
ONE_BASIS_FAMILIES = ("hf", "fci", "nevpt2", "ccsd(t)")
#: The self-consistent-field families (:attr:`LevelOfTheory.self_consistent_field`).
SCF_FAMILIES = ("hf", "dft")
#: Families that are their own name: no basis, no functional.
NAMED_FAMILIES = ("coulomb", "exact-one-electron", "gfn2-xtb")
#: Semi-empirical levels of theory: no ab initio reference family computes them (astray evaluates
#: GFN2-xTB as a potential, through tblite).
SEMI_EMPIRICAL = ("gfn2-xtb",)
#: How users and data sets spell the named families.
_ALIASES = {"xtb": "gfn2-xtb", "gfn2xtb": "gfn2-xtb"}
#: Pretty names of the families for :meth:`LevelOfTheory.describe`.
_PRETTY = {"coulomb": "Coulomb's law (bare nuclei)", "exact-one-electron": "exact one-electron",
           "gfn2-xtb": "GFN2-xTB", "fci/cbs": "FCI/CBS", "nevpt2/cbs": "NEVPT2/CBS"}
#: The two-point complete-basis-set families and the basis pair each uses by default.
_CBS_DEFAULT = {"fci/cbs": "(aug-cc-pvtz,aug-cc-pvqz)", "nevpt2/cbs": "(cc-pvtz,cc-pvqz)"}
_LETTER_CARDINAL = {"d": 2, "t": 3, "q": 4, "5": 5, "6": 6}
_CBS_PAIR = re.compile(
    r"^\((aug-)?cc-pv([dtq56])z(\+tight)?,(aug-)?cc-pv([dtq56])z(\+tight)?\)$")
_FAMILY_AND_REST = re.compile(
    r"^(dft|{})[:/](.*)$".format("|".join(re.escape(f) for f in ONE_BASIS_FAMILIES)))
#: A published whole-curve potential, by its key: ``published/przybytek-2010``.
_PUBLISHED = re.compile(r"^published[:/]([a-z0-9][a-z0-9.-]*)$")
#: A remark in parentheses after the level of theory in data-set metadata:
#: ``"B3LYP/6-31g (PySCF, density fitting ...)"``. A basis such as 6-31G(d) has no space first.
_TRAILING_REMARK = re.compile(r"\s+\(.*\)\s*$")


@dataclass(frozen=True)
class LevelOfTheory:
    """A level of theory: ``family`` plus the ``basis``, ``functional`` and CBS ``cardinals``
    that family needs (None where it needs none).

    Attributes:
        family: ``coulomb``, ``exact-one-electron``, ``fci/cbs``, ``fci``, ``nevpt2``,
            ``nevpt2/cbs``, ``hf``, ``dft``, ``ccsd(t)`` or ``gfn2-xtb``.
        basis: the PySCF basis name, lowercase; for the two-point CBS families the pair,
            ``"cc-pvtz,cc-pvqz"`` (see :attr:`bases`).
        functional: the density functional as PySCF's libxc takes it (``dft`` only).
        cardinals: the cardinal numbers X of the CBS pair, e.g. (3, 4).
        potential: the key of a published whole-curve potential (``published`` only; whether
            astray has it is the reference registry's to say, a layer above).
    """

    family: str
    basis: str | None = None
    functional: str | None = None
    cardinals: tuple[int, int] | None = None
    potential: str | None = None

    @classmethod
    def parse(cls, text: str) -> LevelOfTheory:
        """The level of theory a method string names, in any of astray's dialects (case and
        whitespace do not matter): ``dft:pbe/def2-tzvp``, ``dft/pbe/def2-tzvp``,
        ``pbe/def2-tzvp`` and ``B3LYP/6-31G`` (a functional and a basis: DFT), ``hf:sto-3g``,
        ``HF/6-31G*``, ``ccsd(t)/cc-pvtz``, ``fci:cc-pvtz``, ``nevpt2:cc-pvtz``, ``fci/cbs``,
        ``nevpt2/cbs(aug-cc-pvdz,aug-cc-pvtz)``, ``coulomb``, ``exact-one-electron``,
        ``gfn2-xtb`` (or ``xtb``).

        Raises:
            ReferenceUnavailableError: unknown text, functional or basis set (one line that
                says what to write).
        """
        compact = re.sub(r"\s+", "", str(text).strip().lower())
        compact = _ALIASES.get(compact, compact)
        compact = re.sub(r"^(fci|nevpt2):cbs", r"\1/cbs", compact)
        if compact in NAMED_FAMILIES:
            return cls(compact)
        published = _PUBLISHED.match(compact)
        if published:
            return cls("published", potential=published.group(1))
        for family, default_pair in _CBS_DEFAULT.items():
            if compact == family or compact.startswith(family + "("):
                return _cbs(family, compact[len(family):] or default_pair, text)
        match = _FAMILY_AND_REST.match(compact)
        if match and match.group(1) == "dft":
            functional, _, basis = match.group(2).partition("/")
            if not functional or not basis:
                raise ReferenceUnavailableError(
                    f"method {text!r}: write dft:FUNCTIONAL/BASIS, e.g. dft:pbe/def2-tzvp")
            return _dft(functional, basis, text)
        if match:
            return cls(match.group(1), basis=_known_basis(match.group(2), text))
        functional, _, basis = compact.partition("/")
        if functional and basis and _is_functional(functional):
            return _dft(functional, basis, text)
        raise ReferenceUnavailableError(
            f"unknown reference method {text!r}: use best, coulomb, exact-one-electron, "
            "fci/cbs, fci:BASIS, nevpt2:BASIS, nevpt2/cbs, hf:BASIS, dft:FUNCTIONAL/BASIS (or "
            "FUNCTIONAL/BASIS), ccsd(t):BASIS, published/KEY or gfn2-xtb")

    @classmethod
    def of_method(cls, method: str, basis: str, wavefunction: tuple[str, ...] = ("hf",)
                  ) -> LevelOfTheory:
        """The level of theory of ``METHOD/BASIS`` as a calculator that computes the
        ``wavefunction`` families and any density functional spells it (``pyscf:pbe/def2-svp``,
        ``astray data build --method hf/6-31g``): a METHOD not among them names a functional.

        Raises:
            ReferenceUnavailableError: an unknown functional or basis set (one line).
        """
        family = method.strip().lower()
        return cls.parse(f"{family}/{basis}" if family in wavefunction
                         else f"dft:{family}/{basis}")

    @classmethod
    def from_data_set(cls, text: str) -> LevelOfTheory | None:
        """The level of theory a data set's metadata states, or None where the text names none
        astray knows (``"unknown (extxyz)"``, ``"PBE/PBE+U"``, ``"G4(MP2)"``).

        Lenient where :meth:`parse` is strict: a remark in parentheses after the level of theory
        (``"B3LYP/6-31g (PySCF, density fitting, grid level 1; ...)"``, ``"GFN2-xTB
        (tblite)"``) is dropped, and omega is spelt w (``"ωB97x/6-31G(d)"``, Transition1x).
        """
        head = _TRAILING_REMARK.sub("", str(text)).replace("ω", "w").replace("Ω", "w")
        try:
            return cls.parse(head)
        except ReferenceUnavailableError:
            return None

    @property
    def canonical(self) -> str:
        """The one spelling that keys the store and the shipped references: ``coulomb``,
        ``exact-one-electron``, ``fci/cbs(aug-cc-pvtz+tight,aug-cc-pvqz+tight)``,
        ``fci/cc-pvtz``, ``nevpt2/cbs(cc-pvtz,cc-pvqz)``, ``hf/sto-3g``, ``dft:pbe/def2-tzvp``,
        ``ccsd(t)/cc-pvdz``, ``gfn2-xtb``."""
        if self.family in NAMED_FAMILIES:
            return self.family
        if self.family == "published":
            return f"published/{self.potential}"
        if self.family in _CBS_DEFAULT:
            return f"{self.family}({self.basis})"
        if self.family == "dft":
            return f"dft:{self.functional}/{self.basis}"
        return f"{self.family}/{self.basis}"

    @property
    def bases(self) -> tuple[str, ...]:
        """The basis sets it uses: the small and the large one of a CBS pair, else one."""
        return tuple(self.basis.split(",")) if self.basis else ()

    @property
    def self_consistent_field(self) -> bool:
        """True for HF and DFT: one self-consistent field, with analytic gradients, that can
        fail to converge (as the correlated and CBS families and GFN2-xTB are not)."""
        return self.family in SCF_FAMILIES

    @property
    def semi_empirical(self) -> bool:
        """True for GFN2-xTB: a level of theory no ab initio reference family computes."""
        return self.family in SEMI_EMPIRICAL

    @property
    def label(self) -> str:
        """As chemists write it, the basis set with its capitals: ``PBE/def2-TZVP``,
        ``HF/cc-pVDZ``, ``CCSD(T)/aug-cc-pVTZ``, ``wB97X/6-31G*``, ``B3LYP/6-31G(d,p)``; a
        level of no basis or of two (``exact-one-electron``, ``nevpt2/cbs(cc-pvtz,cc-pvqz)``)
        is its :attr:`canonical` spelling."""
        if self.family != "dft" and self.family not in ONE_BASIS_FAMILIES:
            return self.canonical
        name = re.sub(r"^WB97", "wB97", (self.functional or self.family).upper())
        prefix = re.match(r"(aug-)?cc-p|def2-|", self.basis).group()
        core, _, polarisation = self.basis[len(prefix):].partition("(")  # 6-31g(d,p): 6-31G(d,p)
        return f"{name}/{prefix}{core.upper()}" + (f"({polarisation}" if polarisation else "")

    def describe(self) -> str:
        """For people: ``PBE/def2-tzvp``, ``HF/sto-3g``, ``CCSD(T)/cc-pvdz``,
        ``FCI/CBS(aug-cc-pvtz+tight,aug-cc-pvqz+tight)``, ``GFN2-xTB``."""
        if self.family in NAMED_FAMILIES:
            return _PRETTY[self.family]
        if self.family == "published":
            return f"published potential {self.potential}"
        if self.family in _CBS_DEFAULT:
            return f"{_PRETTY[self.family]}({self.basis})"
        return f"{(self.functional or self.family).upper()}/{self.basis}"


def _cbs(family: str, pair: str, text: str) -> LevelOfTheory:
    """The CBS level of a basis pair ``(cc-pvtz,cc-pvqz)``: FCI/CBS always in the
    aug-cc-pvXz+tight bases of :mod:`astray.reference.two_electron`."""
    match = _CBS_PAIR.match(pair)
    if not match or match.group(1) != match.group(4):
        raise ReferenceUnavailableError(
            f"cannot read the basis pair of {text!r}: write e.g. cbs(cc-pvtz,cc-pvqz)")
    cardinals = (_LETTER_CARDINAL[match.group(2)], _LETTER_CARDINAL[match.group(5)])
    if cardinals[0] >= cardinals[1]:
        raise ReferenceUnavailableError(f"the CBS pair of {text!r} must go from small to large")
    prefix = match.group(1) or ""
    suffix = ""
    if family == "fci/cbs":
        if prefix != "aug-":
            raise ReferenceUnavailableError("fci/cbs uses the aug-cc-pvXz+tight bases")
        suffix = "+tight"
    letter = {cardinal: key for key, cardinal in _LETTER_CARDINAL.items()}
    bases = ",".join(f"{prefix}cc-pv{letter[x]}z{suffix}" for x in cardinals)
    return LevelOfTheory(family, basis=bases, cardinals=cardinals)


def _dft(functional: str, basis: str, text: str) -> LevelOfTheory:
    return LevelOfTheory("dft", basis=_known_basis(basis, text),
                         functional=check_functional(functional))


def _is_functional(name: str) -> bool:
    try:
        check_functional(name)
    except ReferenceUnavailableError:
        return False
    return True


def _known_basis(basis: str, text: str) -> str:
    return check_basis_name(basis, text)


def check_functional(xc: str) -> str:
    """The functional name as PySCF takes it; raises :class:`ReferenceUnavailableError` when
    PySCF's libxc does not know it."""
    from pyscf.dft import libxc

    name = xc.strip().lower()
    try:
        libxc.parse_xc(name)
    except (KeyError, ValueError, NotImplementedError):
        alternative = name.replace("-", "_")
        try:
            libxc.parse_xc(alternative)
        except (KeyError, ValueError, NotImplementedError):
            raise ReferenceUnavailableError(
                f"unknown density functional {xc!r} (PySCF/libxc names, e.g. pbe, b3lyp, "
                "wb97m-v)") from None
        name = alternative
    return name


def check_basis_name(basis: str, method: str) -> str:
    """``basis`` when PySCF knows it (checked on H, C and Li: one of them has every basis);
    raises :class:`ReferenceUnavailableError` naming ``method`` otherwise."""
    from pyscf import gto
    from pyscf.lib.exceptions import BasisNotFoundError

    if not basis:
        raise ReferenceUnavailableError(f"method {method!r} names no basis set")
    for element in ("H", "C", "Li"):
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                if gto.basis.load(basis, element):
                    return basis
        except (BasisNotFoundError, KeyError, RuntimeError, OSError):
            continue
    raise ReferenceUnavailableError(f"unknown basis set {basis!r} in method {method!r}")


__all__ = ["LevelOfTheory", "NAMED_FAMILIES", "ONE_BASIS_FAMILIES", "SCF_FAMILIES",
           "SEMI_EMPIRICAL", "check_basis_name", "check_functional"]
