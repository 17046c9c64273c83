"""fairchem (UMA, OMol25 eSEN) with task ``omol``.

``FAIRChemCalculator`` reads ``atoms.info["charge"]`` (total charge) and ``atoms.info["spin"]``
(multiplicity) for the ``omol`` task. A checkpoint loaded from a file has no isolated-atom
references; when the file sits in a Hugging Face snapshot (``.../checkpoints/NAME.pt``) with
``references/iso_atom_elem_refs.yaml`` beside it, as fairchem's own download leaves it, the
references are loaded too, so single atoms get the energies ``get_predict_unit`` would give.
Options: ``task_name`` (``omol``) and ``inference_settings`` (:func:`default_inference_settings`).

The inference settings are fairchem's general path: MOLE experts left unmerged and no
``torch.compile`` (its ``"batch"`` preset). fairchem-core 2.24's ``"default"`` (nitro, falling
back to multigpu off CUDA) merges the experts for the first structure and compiles the model:
that suits molecular dynamics of one system, not a curve of structures with different
compositions, charges and spins, and on the CPU (torch 2.13) compiling a small UMA took about
100 s and then failed in the force backward pass ("One of the differentiated Tensors does not
require grad"), where the general path gives energies and forces in a few seconds.
"""

from __future__ import annotations

from pathlib import Path

from ase import Atoms

from .common import predict_each

PACKAGE = "fairchem-core"
#: fairchem's checkpoints hold Python objects (the inference checkpoint dataclass)
UNPICKLES_WEIGHTS = True
ATOM_REFERENCES = Path("references") / "iso_atom_elem_refs.yaml"


def atom_references_path(weights: str) -> Path | None:
    """The isolated-atom reference file of a checkpoint in a snapshot layout, if present."""
    candidate = Path(weights).resolve().parent.parent / ATOM_REFERENCES
    unresolved = Path(weights).parent.parent / ATOM_REFERENCES  # HF snapshots hold symlinks
    return next((p for p in (unresolved, candidate) if p.is_file()), None)


def default_inference_settings() -> str:
    """``"batch"`` (unmerged MOLE, no compile) where this fairchem has it; older releases, whose
    ``"default"`` was that path, have no ``"batch"``."""
    try:
        from fairchem.core.units.mlip_unit.api.inference import NAME_TO_INFERENCE_SETTING
    except ImportError:
        return "default"
    return "batch" if "batch" in NAME_TO_INFERENCE_SETTING else "default"


def load(weights: str, options: dict):
    """A ``FAIRChemCalculator`` on CPU for the checkpoint file ``weights``."""
    from fairchem.core import FAIRChemCalculator
    from fairchem.core.units.mlip_unit import load_predict_unit

    references = atom_references_path(weights)
    extra = {}
    if references is not None:
        from omegaconf import OmegaConf

        extra["atom_refs"] = OmegaConf.load(references)
    settings = options.get("inference_settings") or default_inference_settings()
    unit = load_predict_unit(path=weights, inference_settings=settings, device="cpu", **extra)
    return FAIRChemCalculator(unit, task_name=options.get("task_name", "omol"))


def predict(calculator, structures: list[Atoms]):
    """Energies (eV) and forces (eV/A), one structure after the other."""
    return predict_each(calculator, structures)
