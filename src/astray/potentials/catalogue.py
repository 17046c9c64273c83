"""Every potential astray knows by name: its family, how it takes charge and spin, what it was
trained on, and where its weights are expected.

Weights of a downloadable model are looked up, first found wins, at

1. the path given to :func:`astray.potentials.load_potential` (``--weights PATH``);
2. ``$ASTRAY_<FAMILY>_WEIGHTS/<file>`` (one folder per family, e.g. ``ASTRAY_MACE_WEIGHTS``);
3. ``$ASTRAY_HOME/weights/<file>``;
4. the family library's own cache (fairchem's Hugging Face snapshots, ``~/.cache/mace``,
   ``~/.cache/aimnet``, ``~/.local/share/Torchani/StateDicts``, ``~/.cache/orb``).

Nothing is ever downloaded: a missing file is a :class:`WeightsNotFoundError` of one line that
names the file and where to put it. Models whose weights ship in their wheel (CHGNet and its
r2SCAN head, the SevenNet models, SO3LR) read them from the installed package (their family
module's ``default_weights(options)``); if that file is missing, the error names it and says to
reinstall the package or copy it there. Methods without weights (xTB, the exact reference) need
none of this.

A weights file given explicitly is loaded only if loading it cannot run code (it ships in an
installed wheel, or torch's restricted unpickler reads it), or if the user trusts it
(``--weights trust:PATH``): :func:`astray.potentials.families.common.check_weights_trusted`.
"""

from __future__ import annotations

import glob
import os
from dataclasses import dataclass, field
from importlib import import_module
from importlib.metadata import PackageNotFoundError, distribution
from pathlib import Path

from ase.data import chemical_symbols

from astray.errors import PotentialError, WeightsNotFoundError
from astray.store import astray_home

OMOL25 = "OMol25 (~100 M molecular DFT calculations, incl. charged and open-shell species)"
OMOL25_THEORY = "wB97M-V/def2-TZVPD"
OMOL25_REFERENCE = "dft:wb97m-v/def2-tzvpd"
MPTRJ = "MPtrj (Materials Project relaxation trajectories, crystals)"
MPTRJ_THEORY = "PBE/PBE+U"
MPTRJ_REFERENCE = "dft:pbe/def2-tzvp"
SPICE = "SPICE (organic molecules, neutral and charged fragments)"
SPICE_THEORY = "wB97M-D3(BJ)/def2-TZVPPD"
R2SCAN_THEORY = "r2SCAN"
R2SCAN_REFERENCE = "dft:r2scan/def2-tzvp"
SEVENNET_MF_0 = ("MPtrj (PBE/PBE+U) and MP-r2SCAN (Materials Project r2SCAN calculations, "
                 "crystals): SevenNet-MF-0, one network with one output per functional; this is "
                 "its {} output")
FAIRCHEM_HOW = 'atoms.info["charge"] and atoms.info["spin"] (multiplicity), task "omol"'
CHARGE_BLIND = "ignored: the model has no charge or spin input"
#: The 89 elements of MPtrj: SevenNet-0's checkpoint lists them (``config["chemical_species"]``
#: of sevenn 0.13's SevenNet_0__11Jul2024, SevenNet-MF-0 and SevenNet-l3i5 alike): H-Bi and
#: Ac-Pu. CHGNet 0.3.0's atom embedding spans Z 1-94 (``Embedding(94, 64)``) but it was trained
#: on MPtrj, which has no Po, At, Rn, Fr or Ra: those five are not claimed.
MPTRJ_ELEMENTS: tuple[str, ...] = (*chemical_symbols[1:84], *chemical_symbols[89:95])
#: GFN2-xTB is parametrised for H-Rn (Bannwarth, Ehlert & Grimme 2019).
GFN2_ELEMENTS: tuple[str, ...] = tuple(chemical_symbols[1:87])
#: The 14 elements of AIMNet2 (Anstine, Zubatyuk & Isayev 2025).
AIMNET2_ELEMENTS = ("H", "B", "C", "N", "O", "F", "Si", "P", "S", "Cl", "As", "Se", "Br", "I")
#: MACE-OFF23's elements (Kovacs et al. 2023, SPICE subset).
MACE_OFF_ELEMENTS = ("H", "C", "N", "O", "F", "P", "S", "Cl", "Br", "I")


@dataclass(frozen=True)
class FamilyCache:
    """A model library's own download folder: ``$variable`` (default ``~/default``), then
    ``below`` (which may hold a ``*``, e.g. a Hugging Face snapshot revision)."""

    variable: str
    default: str
    below: str = ""

    def path(self, file: str) -> Path:
        root = Path(os.environ.get(self.variable) or Path.home() / self.default)
        return root / self.below / file

    def candidates(self, file: str) -> list[Path]:
        return [Path(match) for match in sorted(glob.glob(str(self.path(file))))]


def _fairchem_cache(repository: str) -> FamilyCache:
    """Where fairchem's ``get_predict_unit`` leaves a Hugging Face checkpoint."""
    return FamilyCache("FAIRCHEM_CACHE_DIR", ".cache/fairchem",
                       f"models--facebook--{repository}/snapshots/*/checkpoints")


MACE_CACHE = FamilyCache("XDG_CACHE_HOME", ".cache", "mace")


@dataclass(frozen=True)
class CatalogueEntry:
    """One known potential.

    ``family_module`` names the astray-free module in :mod:`astray.potentials.families` that
    loads and evaluates it (in this interpreter or in a worker); ``None`` for potentials that
    only run in-process through the registry. ``weights_file`` is ``None`` where no file has to
    be found (weights ship in the wheel, or there are none).
    """

    name: str
    family: str
    package: str
    charge_aware: bool
    spin_aware: bool
    charge_spin: str
    training_data: str
    level_of_theory: str
    level_of_theory_reference: str | None
    family_module: str | None = None
    weights_file: str | None = None
    weights_source: str = ""
    family_cache: FamilyCache | None = None
    options: dict = field(default_factory=dict)
    #: False for a model trained on forces only, whose energies of separated fragments carry
    #: no meaning (SO3LR): its curves also get shape metrics after aligning at the largest r.
    fragment_energies_meaningful: bool = True
    #: How to install the package where ``pip install PACKAGE`` is not the way.
    install: str = ""
    #: The elements the model claims (symbols), None where astray does not know them: the
    #: whole-table suites then try H-Rn and record failures as coverage gaps.
    elements: tuple[str, ...] | None = None

    @property
    def install_hint(self) -> str:
        """The command that installs the model's package, in one line."""
        return self.install or f"pip install {self.package}"

    @property
    def weights_env(self) -> str | None:
        """Environment variable naming a folder that holds this family's weight files."""
        return f"ASTRAY_{self.family.upper()}_WEIGHTS" if self.weights_file else None

    def weights_candidates(self) -> list[Path]:
        """Where the weights file is looked for, in order (explicit path excluded)."""
        if self.weights_file is None:
            return []
        places = []
        if os.environ.get(self.weights_env):
            places.append(Path(os.environ[self.weights_env]) / self.weights_file)
        places.append(astray_home() / "weights" / self.weights_file)
        if self.family_cache is not None:
            places.extend(self.family_cache.candidates(self.weights_file))
        return places

    def find_weights(self, explicit: str | Path | None = None) -> Path | None:
        """The weights file to load (``explicit`` if given), or None if none exists."""
        if explicit is not None:
            path = Path(explicit).expanduser()
            return path if path.is_file() else None
        return next((p for p in self.weights_candidates() if p.is_file()), None)

    def weights_found(self) -> bool:
        """True when the model can be loaded without fetching anything."""
        if self.weights_file is not None:
            return self.find_weights() is not None
        if self.package == "":
            return True
        try:  # the distribution name: importing the package to look would take seconds
            distribution(self.package)
        except PackageNotFoundError:
            return False
        return True

    @property
    def weights_hint(self) -> str:
        """Where the weights are expected, in one line."""
        if self.weights_file is None:
            return (f"ships with the {self.package} package" if self.package
                    else "no weights needed")
        return (f"{self.weights_file} ({self.weights_source}): pass --weights PATH, or put it "
                f"in ${self.weights_env}/ or {astray_home() / 'weights'}/"
                + (f" or {self.family_cache.path(self.weights_file)}" if self.family_cache
                   else ""))

    def packaged_weights(self) -> Path | None:
        """The weights file that ships in the model's package, as installed in this
        environment; None for a model with no such file or whose package is not installed."""
        if self.weights_file is not None or self.family_module is None:
            return None
        from astray.potentials.families.common import packaged_weights

        family = import_module(f"astray.potentials.families.{self.family_module}")
        if not hasattr(family, "default_weights"):
            return None
        try:
            return Path(packaged_weights(family, self.options))
        except ImportError:
            return None

    def require_weights(self, explicit: str | Path | None = None, *,
                        packaged_here: bool = True) -> Path | None:
        """The weights file, or :class:`WeightsNotFoundError` naming it and where to put it.
        ``None`` for a model whose weights ship with its package; that file is checked when
        ``packaged_here`` (the model runs in this environment, not in a worker's)."""
        if self.weights_file is None:
            if explicit is not None and self.family_module is None:
                raise PotentialError(f"{self.name} takes no weights file (got {explicit})")
            if explicit is not None:
                if not Path(explicit).expanduser().is_file():
                    raise WeightsNotFoundError(f"{self.name} weights not found: {explicit} "
                                               "does not exist")
                return Path(explicit).expanduser()
            packaged = self.packaged_weights() if packaged_here else None
            if packaged is not None and not packaged.is_file():
                raise WeightsNotFoundError(
                    f"{self.name} weights not found: {packaged} is missing; it ships with the "
                    f"{self.package} package: reinstall it (pip install --force-reinstall "
                    f"--no-deps {self.package}) or copy the file there")
            return None
        path = self.find_weights(explicit)
        if path is None and explicit is not None:
            raise WeightsNotFoundError(f"{self.name} weights not found: {explicit} does not "
                                       f"exist (expected {self.weights_file})")
        if path is None:
            raise WeightsNotFoundError(f"{self.name} weights not found: {self.weights_hint}")
        return path

    def as_record(self) -> dict:
        """The JSON record of ``astray potentials --json``."""
        return {"name": self.name, "family": self.family, "package": self.package,
                "charge_aware": self.charge_aware, "spin_aware": self.spin_aware,
                "charge_spin": self.charge_spin, "training_data": self.training_data,
                "level_of_theory": self.level_of_theory,
                "level_of_theory_reference": self.level_of_theory_reference,
                "worker": self.family_module is not None,
                "fragment_energies_meaningful": self.fragment_energies_meaningful,
                "weights_found": self.weights_found(), "weights_hint": self.weights_hint,
                "weights_file": self.weights_file, "weights_env": self.weights_env,
                "elements": None if self.elements is None else list(self.elements)}


def _uma(name: str, size: str) -> CatalogueEntry:
    return CatalogueEntry(
        name, "fairchem", "fairchem-core", True, True, FAIRCHEM_HOW, OMOL25 + " (omol task of "
        "UMA, also trained on OMat24, OC20, ODAC25, OMC25)", OMOL25_THEORY, OMOL25_REFERENCE,
        "fairchem_family", f"{name}.pt", f"UMA {size}, Hugging Face facebook/UMA checkpoints/, "
        "gated", _fairchem_cache("UMA"), {"task_name": "omol"})


def _sevennet_mf_0(functional: str, modal: str, theory: str, reference: str) -> CatalogueEntry:
    return CatalogueEntry(
        f"sevennet-mf-0-{functional}", "sevennet", "sevenn", False, False, CHARGE_BLIND,
        SEVENNET_MF_0.format(modal), theory, reference, "sevennet_family",
        options={"checkpoint": "SEVENNET_MF_0", "modal": modal}, elements=MPTRJ_ELEMENTS)


def _mace_off(size: str) -> CatalogueEntry:
    return CatalogueEntry(
        f"mace-off-{size}", "mace", "mace-torch", False, False, CHARGE_BLIND, SPICE,
        SPICE_THEORY, None, "mace_family", f"MACE-OFF23_{size}.model",
        "github ACEsuit/mace-off, mace_off23/", MACE_CACHE,
        {"dtype": "float64"})


CATALOGUE: tuple[CatalogueEntry, ...] = (
    _uma("uma-s-1p1", "small 1.1"),
    _uma("uma-m-1p1", "medium 1.1"),
    CatalogueEntry(
        "esen-sm-conserving-omol", "fairchem", "fairchem-core", True, True, FAIRCHEM_HOW, OMOL25,
        OMOL25_THEORY, OMOL25_REFERENCE, "fairchem_family", "esen_sm_conserving_all.pt",
        "Hugging Face facebook/OMol25 checkpoints/, gated", _fairchem_cache("OMol25"),
        {"task_name": "omol"}),
    CatalogueEntry(
        "orb-v3-conservative-omol", "orb", "orb-models", True, True,
        'atoms.info["charge"] and atoms.info["spin"] (multiplicity), float32-highest', OMOL25,
        OMOL25_THEORY, OMOL25_REFERENCE, "orb_family", "orb-v3-conservative-omol-20250820.ckpt",
        "the URL in orb_models.forcefield.pretrained.orb_v3_conservative_omol",
        FamilyCache("XDG_CACHE_HOME", ".cache", "orb"),
        {"architecture": "orb_v3_conservative_omol", "precision": "float32-highest"}),
    CatalogueEntry(
        "aimnet2", "aimnet", "aimnet", True, False,
        'atoms.info["charge"] (total charge); multiplicity read only by the NSE variant',
        "AIMNet2 training set (~20 M molecules of 14 elements, neutral and charged)",
        "wB97M-D3/def2-TZVPP", None, "aimnet_family", "aimnet2_wb97m_d3_0.pt",
        "`aimnet download` or aimnet's model registry (aimnet2-wb97m-d3_0)",
        FamilyCache("AIMNET_CACHE_DIR", ".cache/aimnet"), elements=AIMNET2_ELEMENTS),
    _mace_off("small"),
    _mace_off("medium"),
    _mace_off("large"),
    CatalogueEntry(
        "mace-mp-0", "mace", "mace-torch", False, False, CHARGE_BLIND, MPTRJ, MPTRJ_THEORY,
        MPTRJ_REFERENCE, "mace_family", "2023-12-03-mace-128-L1_epoch-199.model",
        "MACE-MP-0 medium, github ACEsuit/mace-mp release mace_mp_0",
        MACE_CACHE, {"dtype": "float32"}, elements=MPTRJ_ELEMENTS),
    CatalogueEntry(
        "mace-omol", "mace", "mace-torch", True, True,
        'atoms.info["charge"] and atoms.info["spin"] (multiplicity) -> total_charge/total_spin '
        'embeddings, head "omol"', OMOL25, OMOL25_THEORY, OMOL25_REFERENCE, "mace_family",
        "MACE-omol-0-extra-large-1024.model",
        "github ACEsuit/mace-foundations release mace_omol_0, ASL licence",
        MACE_CACHE, {"dtype": "float64", "head": "omol"}),
    CatalogueEntry(
        "ani-2x", "ani", "torchani", False, False, CHARGE_BLIND,
        "ANI-2x (neutral organic molecules, H C N O F S Cl)", "wB97X/6-31G*",
        "dft:wb97x/6-31g*", "ani_family", "ani2x_state_dict.pt",
        "Hugging Face roitberg-group/ani2x",
        FamilyCache("TORCHANI_DATA_DIR", ".local/share/Torchani", "StateDicts"),
        elements=("H", "C", "N", "O", "F", "S", "Cl")),
    CatalogueEntry(
        "chgnet", "chgnet", "chgnet", False, False, CHARGE_BLIND, MPTRJ,
        MPTRJ_THEORY, MPTRJ_REFERENCE, "chgnet_family", elements=MPTRJ_ELEMENTS),
    CatalogueEntry(
        "chgnet-r2scan", "chgnet", "chgnet", False, False, CHARGE_BLIND,
        "MP-r2SCAN (Materials Project r2SCAN calculations, crystals), fine-tuned from CHGNet "
        "0.3.0 (MPtrj)", R2SCAN_THEORY, R2SCAN_REFERENCE, "chgnet_family",
        options={"model": "r2scan"}, elements=MPTRJ_ELEMENTS),
    CatalogueEntry(
        "sevennet-0", "sevennet", "sevenn", False, False, CHARGE_BLIND, MPTRJ, MPTRJ_THEORY,
        MPTRJ_REFERENCE, "sevennet_family", elements=MPTRJ_ELEMENTS),
    _sevennet_mf_0("pbe", "PBE", MPTRJ_THEORY, MPTRJ_REFERENCE),
    _sevennet_mf_0("r2scan", "R2SCAN", R2SCAN_THEORY, R2SCAN_REFERENCE),
    CatalogueEntry(
        "sevennet-l3i5", "sevennet", "sevenn", False, False, CHARGE_BLIND,
        MPTRJ + "; SevenNet-l3i5: l_max 3, 5 interaction layers", MPTRJ_THEORY, MPTRJ_REFERENCE,
        "sevennet_family", options={"checkpoint": "SEVENNET_l3i5"}, elements=MPTRJ_ELEMENTS),
    CatalogueEntry(
        "diep", "diep", "diep", False, False, CHARGE_BLIND,
        "MatPES r2SCAN (349,107 periodic structures of 89 elements, sampled from molecular "
        "dynamics): DIEP 2.0 diep_fold1", R2SCAN_THEORY, R2SCAN_REFERENCE, "diep_family"),
    CatalogueEntry(
        "so3lr", "so3lr", "so3krates-torch", True, True,
        'atoms.info["charge"] and atoms.info["total_spin"] = S = (multiplicity - 1) / 2; '
        "long-range cutoff r_max_lr 1000 A",
        "SO3LR training set (molecules and molecular complexes, neutral and charged, incl. "
        "open-shell; trained on forces)", "PBE0+MBD", "dft:pbe0/def2-tzvp", "so3lr_family",
        options={"r_max_lr": 1000.0, "dispersion_damping": 2.0, "dtype": "float64"},
        fragment_energies_meaningful=False,
        install="pip install --no-deps so3krates-torch==0.2.1 (`make install` does it; its exact "
                "torch-geometric==2.7.0 pin is for training only and would replace astray's)"),
    CatalogueEntry(
        "xtb", "xtb", "tblite", True, True, "total charge and uhf = multiplicity - 1 (tblite)",
        "none (semiempirical, parametrised on reference data)", "GFN2-xTB", None,
        elements=GFN2_ELEMENTS),
    CatalogueEntry(
        "exact", "reference", "", True, True, "exact for the given charge and multiplicity",
        "none", "exact / best available reference", None),
)


def catalogue_entry(name: str) -> CatalogueEntry | None:
    """The catalogue entry of ``name``, or None if astray does not know it by that name."""
    return next((entry for entry in CATALOGUE if entry.name == name), None)


def potential_catalogue() -> list[dict]:
    """One record per known potential (what ``astray potentials --json`` prints): name,
    family, charge/spin awareness and how they are passed, training data, level of theory,
    whether the weights are found and where they are expected."""
    return [entry.as_record() for entry in CATALOGUE]
