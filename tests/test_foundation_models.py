"""Foundation models: the catalogue, weights lookup, and out-of-environment evaluation.

The worker protocol is tested end to end with a worker started by this interpreter (CHGNet and
SevenNet-0, whose weights ship in their wheels, and small fake family modules that crash, hang,
print or fail). A weights file whose loading would run code (a payload that creates a file) is
refused in-process, in a worker and by the CLI unless trusted. The slow tests run the real MACE,
Orb, ANI-2x, UMA (fairchem) and AIMNet2 architectures with random weights (trusted: the tests
build them) in their own virtual environments, given by ASTRAY_TEST_MACE_PYTHON,
ASTRAY_TEST_ORB_PYTHON, ASTRAY_TEST_ANI_PYTHON, ASTRAY_TEST_FAIRCHEM_PYTHON and
ASTRAY_TEST_AIMNET_PYTHON (see docs/foundation_models.md); nothing is downloaded.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from astray.errors import CheckpointError, PotentialError, WeightsNotFoundError
from astray.potentials import load_potential, potential_catalogue
from astray.potentials.catalogue import CatalogueEntry, catalogue_entry
from astray.potentials.remote import RemotePotential
from astray.systems import get_system

STUDY_AND_USER_MODELS = {
    "uma-s-1p1", "uma-m-1p1", "esen-sm-conserving-omol", "orb-v3-conservative-omol", "aimnet2",
    "mace-off-small", "mace-off-medium", "mace-off-large", "mace-mp-0", "mace-omol", "ani-2x"}
DOWNLOADABLE = sorted(STUDY_AND_USER_MODELS)
POTENTIALS_DIR = Path(__file__).resolve().parents[1] / "src" / "astray" / "potentials"
H2 = get_system("H2")


def curve_batch(system_name: str = "H2", bond_lengths=(0.5, 0.74, 1.2, 2.0, 4.0)):
    """A system at a few bond lengths followed by its fragments, as a curve is evaluated."""
    system = get_system(system_name)
    return [system.atoms(r) for r in bond_lengths] + [f.atoms() for f in system.fragments]


@pytest.fixture
def no_weights_anywhere(tmp_path, monkeypatch):
    """A home, caches and environment in which no weights file exists."""
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    for variable in ("XDG_CACHE_HOME", "FAIRCHEM_CACHE_DIR", "AIMNET_CACHE_DIR",
                     "TORCHANI_DATA_DIR", *(f"ASTRAY_{f}_WEIGHTS" for f in
                                            ("FAIRCHEM", "ORB", "AIMNET", "MACE", "ANI"))):
        monkeypatch.delenv(variable, raising=False)
    return tmp_path


# --- the catalogue ------------------------------------------------------------------------------

def test_catalogue_lists_every_model_with_the_fields_the_cli_prints():
    records = {record["name"]: record for record in potential_catalogue()}
    assert STUDY_AND_USER_MODELS | {"chgnet", "sevennet-0", "xtb", "exact"} <= set(records)
    for record in records.values():
        for key in ("charge_aware", "spin_aware", "weights_found"):
            assert isinstance(record[key], bool), (record["name"], key)
        assert record["family"] and record["weights_hint"] and record["level_of_theory"]
        assert record["charge_spin"] and record["training_data"]


@pytest.mark.parametrize("name, charge_aware, spin_aware, theory", [
    ("uma-s-1p1", True, True, "wB97M-V/def2-TZVPD"),
    ("esen-sm-conserving-omol", True, True, "wB97M-V/def2-TZVPD"),
    ("orb-v3-conservative-omol", True, True, "wB97M-V/def2-TZVPD"),
    ("aimnet2", True, False, "wB97M-D3/def2-TZVPP"),
    ("mace-off-large", False, False, "wB97M-D3(BJ)/def2-TZVPPD"),
    ("mace-mp-0", False, False, "PBE/PBE+U"),
    ("mace-omol", True, True, "wB97M-V/def2-TZVPD"),
    ("ani-2x", False, False, "wB97X/6-31G*"),
])
def test_catalogue_says_how_each_family_treats_charge_and_spin(name, charge_aware, spin_aware,
                                                                theory):
    entry = catalogue_entry(name)
    assert (entry.charge_aware, entry.spin_aware, entry.level_of_theory) == (
        charge_aware, spin_aware, theory)


@pytest.mark.parametrize("name, module", [("chgnet", "chgnet_family"),
                                          ("sevennet-0", "sevennet_family")])
def test_wheel_shipped_materials_models_run_through_their_family_module(name, module):
    entry = catalogue_entry(name)
    assert entry.family_module == module and entry.weights_file is None
    assert (entry.charge_aware, entry.spin_aware) == (False, False)
    assert (entry.level_of_theory, entry.level_of_theory_reference) == ("PBE/PBE+U",
                                                                        "dft:pbe/def2-tzvp")
    assert "MPtrj" in entry.training_data and entry.as_record()["worker"]


def test_orb_uses_the_precision_of_the_study():
    assert catalogue_entry("orb-v3-conservative-omol").options["precision"] == "float32-highest"


# --- weights ------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", DOWNLOADABLE)
def test_missing_weights_is_one_line_naming_the_file(name, no_weights_anywhere):
    entry = catalogue_entry(name)
    assert not entry.weights_found()
    with pytest.raises(WeightsNotFoundError) as error:
        load_potential(name)
    message = str(error.value)
    assert "\n" not in message
    assert entry.weights_file in message and entry.weights_env in message


def test_a_missing_explicit_weights_path_is_named(no_weights_anywhere):
    with pytest.raises(WeightsNotFoundError, match="nowhere.model"):
        load_potential("mace-off-small", weights=no_weights_anywhere / "nowhere.model")


def test_weights_are_found_in_the_family_folder_then_astray_home(no_weights_anywhere,
                                                                  monkeypatch):
    entry = catalogue_entry("mace-off-small")
    home_file = Path(os.environ["ASTRAY_HOME"]) / "weights" / entry.weights_file
    home_file.parent.mkdir(parents=True)
    home_file.write_bytes(b"x")
    assert entry.find_weights() == home_file
    family_file = no_weights_anywhere / "mace-weights" / entry.weights_file
    family_file.parent.mkdir()
    family_file.write_bytes(b"x")
    monkeypatch.setenv("ASTRAY_MACE_WEIGHTS", str(family_file.parent))
    assert entry.find_weights() == family_file and entry.weights_found()


def test_weights_are_found_in_fairchems_own_cache(no_weights_anywhere):
    snapshot = (no_weights_anywhere / "home" / ".cache" / "fairchem" / "models--facebook--UMA"
                / "snapshots" / "0123abc" / "checkpoints")
    snapshot.mkdir(parents=True)
    (snapshot / "uma-s-1p1.pt").write_bytes(b"x")
    assert catalogue_entry("uma-s-1p1").find_weights() == snapshot / "uma-s-1p1.pt"
    assert not catalogue_entry("uma-m-1p1").weights_found()


def test_potentials_without_a_worker_refuse_python_and_weights():
    with pytest.raises(PotentialError, match="takes no"):
        load_potential("xtb", python=sys.executable)


# --- the worker, with CHGNet and SevenNet-0 -------------------------------------------------------

def worker_pair(name: str, package: str):
    """The model in this interpreter and in a worker started with this interpreter."""
    pytest.importorskip(package)
    remote = load_potential(name, python=sys.executable)
    yield load_potential(name), remote
    remote.close()


@pytest.fixture(scope="module")
def chgnet_pair():
    yield from worker_pair("chgnet", "chgnet")


@pytest.fixture(scope="module")
def sevennet_pair():
    yield from worker_pair("sevennet-0", "sevenn")


@pytest.mark.parametrize("pair, package", [("chgnet_pair", "chgnet"),
                                           ("sevennet_pair", "sevenn")])
def test_worker_gives_the_in_process_energies_and_forces(pair, package, request):
    local, remote = request.getfixturevalue(pair)
    structures = curve_batch("H2") + curve_batch("HeH+") + curve_batch("LiH")
    expected, got = local.evaluate(structures), remote.evaluate(structures)
    assert np.all(np.isfinite(expected.energy))
    np.testing.assert_allclose(got.energy, expected.energy, rtol=0, atol=1e-6)
    for f_got, f_expected in zip(got.forces, expected.forces, strict=True):
        np.testing.assert_allclose(f_got, f_expected, rtol=0, atol=1e-6)
    assert remote.provenance == local.provenance and remote.provenance["package"] == package


def test_worker_is_started_once_and_records_provenance(chgnet_pair):
    _, remote = chgnet_pair
    pid = remote.channel.process.pid
    remote.evaluate(curve_batch())
    remote.evaluate(curve_batch())
    assert remote.channel.process.pid == pid and remote.channel.process.poll() is None
    described = remote.describe()
    assert described["worker_protocol"] == "astray-worker/1"
    assert len(described["weights_sha256"]) == 64 and described["package"] == "chgnet"


def test_charge_blind_finding_holds_through_the_worker(chgnet_pair):
    """CHGNet cannot tell two bare protons from H2: the same energies at every bond length, so
    it cannot follow Coulomb's repulsion (the study's finding)."""
    _, remote = chgnet_pair
    neutral = remote.evaluate(curve_batch("H2")).energy
    bare = remote.evaluate(curve_batch("H2++")).energy
    np.testing.assert_array_equal(neutral[:5], bare[:5])


# --- weights files that could run code (nothing is unpickled in full unless trusted) -----------

class TouchesAFile:
    """Unpickling this creates the file ``path``: a payload that shows whether a file ran code."""

    def __init__(self, path: str):
        self.path = path

    def __reduce__(self):
        return open, (self.path, "w")


@pytest.fixture
def evil_weights(tmp_path):
    """A torch file whose loading creates ``payload-ran`` beside it."""
    torch = pytest.importorskip("torch")
    marker = tmp_path / "payload-ran"
    torch.save({"model": TouchesAFile(str(marker))}, tmp_path / "evil.pt")
    assert not marker.exists()
    return tmp_path / "evil.pt", marker


@pytest.mark.parametrize("name, package", [("chgnet", "chgnet"), ("sevennet-0", "sevenn"),
                                           ("chgnet-r2scan", "chgnet"),
                                           ("so3lr", "so3krates_torch")])
def test_a_weights_file_that_could_run_code_is_refused(name, package, evil_weights):
    pytest.importorskip(package)
    evil, marker = evil_weights
    with pytest.raises(CheckpointError) as error:
        load_potential(name, weights=evil)
    assert not marker.exists()
    message = str(error.value)
    assert "\n" not in message and str(evil) in message and f"trust:{evil}" in message


def test_a_worker_refuses_it_too(evil_weights):
    evil, marker = evil_weights
    with pytest.raises(PotentialError, match="refusing to load"):
        load_potential("chgnet", python=sys.executable, weights=evil)
    assert not marker.exists()


@pytest.mark.parametrize("name", ["chgnet", "sevennet-0"])
def test_the_cli_refuses_it_in_one_line(name, evil_weights):
    evil, marker = evil_weights
    run = subprocess.run([sys.executable, "-m", "astray.cli", "curves", "-p", name, "--weights",
                          str(evil), "-s", "H2"], capture_output=True, text=True, timeout=300)
    assert run.returncode == 2 and "Traceback" not in run.stderr and not marker.exists()
    message = run.stderr.strip()
    assert "\n" not in message and "refusing to load" in message and "trust:" in message


def test_a_trusted_file_is_unpickled(evil_weights):
    """``--weights trust:PATH``: the user said so, the file is loaded (and its payload runs)."""
    pytest.importorskip("chgnet")
    evil, marker = evil_weights
    with pytest.raises(PotentialError):  # it is no CHGNet checkpoint
        load_potential("chgnet", weights=f"trust:{evil}")
    assert marker.exists()


def test_a_plain_tensor_checkpoint_needs_no_trust(tmp_path):
    """CHGNet's checkpoints hold only tensors and plain containers: a copy outside the wheel is
    read by torch's restricted unpickler, so it loads without trust and gives the same model."""
    pytest.importorskip("chgnet")
    packaged = load_potential("chgnet")
    copy = tmp_path / "chgnet-copy.pth.tar"
    copy.write_bytes(Path(packaged.provenance["weights"]).read_bytes())
    copied = load_potential("chgnet", weights=copy)
    batch = curve_batch("H2")
    np.testing.assert_array_equal(copied.evaluate(batch).energy, packaged.evaluate(batch).energy)


def test_the_wheels_own_file_is_trusted_and_a_copy_is_not(tmp_path):
    """SevenNet's checkpoint holds Python objects: trusted where the wheel installed it (its
    RECORD hash matches), refused as a copy anywhere else."""
    pytest.importorskip("sevenn")
    from astray.potentials.families import sevennet_family

    packaged = sevennet_family.default_weights()
    assert load_potential("sevennet-0", weights=packaged).provenance["weights"] == packaged
    copy = tmp_path / "checkpoint_sevennet_0.pth"
    copy.write_bytes(Path(packaged).read_bytes())
    with pytest.raises(CheckpointError, match="refusing to load"):
        load_potential("sevennet-0", weights=copy)


# --- the worker when things go wrong ------------------------------------------------------------

FAKE_FAMILY = '''
"""A fake family: energy = sum of atomic numbers (eV), zero forces."""
import os, sys, time
import numpy as np

PACKAGE = "numpy"
MODE = {mode!r}

def load(weights, options):
    print("noise from a chatty library")  # must not corrupt the channel
    os.write(1, b"noise written to fd 1\\n")
    if MODE == "load-fails":
        raise RuntimeError("checkpoint is corrupt")
    if MODE == "exits-on-load":
        sys.exit(0)
    return {{"mode": MODE}}

def predict(model, structures):
    if MODE == "crashes":
        os._exit(3)
    if MODE == "hangs":
        time.sleep(30)
    if MODE == "one-atom-fails" and any(len(a) == 1 for a in structures):
        raise ValueError("isolated atoms are not supported")
    print("more noise")
    energies = [float(a.numbers.sum() + a.info["charge"]) for a in structures]
    return np.array(energies), [np.zeros((len(a), 3)) for a in structures]
'''


def fake_potential(tmp_path: Path, mode: str, **kwargs) -> RemotePotential:
    family = tmp_path / f"fake_{mode.replace('-', '_')}_family.py"
    family.write_text(FAKE_FAMILY.format(mode=mode))
    entry = CatalogueEntry("fake-model", "fake", "numpy", True, False, "", "", "", None,
                           family.stem)
    weights = tmp_path / "fake.weights"
    weights.write_bytes(b"fake")
    return RemotePotential(entry, sys.executable, weights, family_path=family, **kwargs)


def test_a_chatty_family_does_not_corrupt_the_channel(tmp_path):
    potential = fake_potential(tmp_path, "works")
    structures = curve_batch("H2+")
    prediction = potential.evaluate(structures)
    expected = [a.numbers.sum() + a.info.get("charge", 0) for a in structures]
    np.testing.assert_array_equal(prediction.energy, expected)
    potential.close()


def test_one_failing_structure_costs_that_structure(tmp_path):
    potential = fake_potential(tmp_path, "one-atom-fails")
    with pytest.warns(RuntimeWarning, match="fake-model failed on structure 5"):
        prediction = potential.evaluate(curve_batch("H2"))
    assert np.all(prediction.energy[:5] == 2) and np.all(np.isnan(prediction.energy[5:]))
    potential.close()


@pytest.mark.parametrize("mode, expected", [
    ("load-fails", "RuntimeError: checkpoint is corrupt"),
    ("exits-on-load", "exited"),
])
def test_a_worker_that_cannot_load_names_the_potential(tmp_path, mode, expected):
    with pytest.raises(PotentialError, match=f"fake-model.*{expected}"):
        fake_potential(tmp_path, mode)


def test_a_crashing_worker_names_the_potential(tmp_path):
    potential = fake_potential(tmp_path, "crashes")
    with pytest.raises(PotentialError, match=r"fake-model: worker .* exited \(exit status 3\)"):
        potential.evaluate(curve_batch())


def test_a_hanging_worker_is_stopped(tmp_path):
    potential = fake_potential(tmp_path, "hangs", batch_timeout=0.5)
    with pytest.raises(PotentialError, match="fake-model: worker .* did not answer within 0.5 s"):
        potential.evaluate(curve_batch())
    assert potential.channel.process.poll() is not None


@pytest.mark.parametrize("script, expected", [
    ("print('Welcome to a Python that is not the worker')", "not the astray-worker/1 protocol"),
    ("import sys; sys.exit(7)", r"exited \(exit status 7\)"),
])
def test_garbage_or_early_exit_names_the_potential(tmp_path, script, expected):
    fake_worker = tmp_path / "not_a_worker.py"
    fake_worker.write_text(script)
    with pytest.raises(PotentialError, match=f"fake-model: worker .*{expected}"):
        fake_potential(tmp_path, "works", script=fake_worker)


def test_a_missing_interpreter_names_the_potential():
    with pytest.raises(PotentialError, match="chgnet: cannot start the worker"):
        load_potential("chgnet", python="/nonexistent/bin/python")


# --- real architectures with random weights, each in its own environment (slow) -----------------

BUILD_MACE = '''
import sys, numpy as np, torch
import mace  # sets TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD, which e3nn 0.4.4 needs with torch >= 2.6
from e3nn import o3
from mace import modules
torch.set_default_dtype(torch.float64)
torch.manual_seed(0)
omol = sys.argv[2] == "omol"
specs = {name: {"type": "continuous", "per": "graph", "in_dim": 1, "emb_dim": 8}
         for name in ("total_charge", "total_spin")}
block = modules.interaction_classes["RealAgnosticResidualInteractionBlock"]
model = modules.ScaleShiftMACE(
    r_max=5.0, num_bessel=8, num_polynomial_cutoff=5, max_ell=2, interaction_cls=block,
    interaction_cls_first=block, num_interactions=2, num_elements=3,
    hidden_irreps=o3.Irreps("16x0e+16x1o"), MLP_irreps=o3.Irreps("16x0e"),
    atomic_energies=np.array([-13.6, -79.0, -200.0]), avg_num_neighbors=2.0,
    atomic_numbers=[1, 2, 3], correlation=2, gate=torch.nn.functional.silu,
    atomic_inter_scale=1.0, atomic_inter_shift=0.0, heads=["omol"] if omol else None,
    embedding_specs=specs if omol else None)
torch.save(model, sys.argv[1])
'''

BUILD_ORB = '''
import sys, torch
from orb_models.forcefield import pretrained
from orb_models.forcefield.atomic_system import SystemConfig
torch.manual_seed(0)
model = pretrained.orb_v3_conservative_architecture(
    device="cpu", system_config=SystemConfig(radius=6.0, max_num_neighbors=120),
    has_charge_spin_cond=True, has_stress=False)
torch.save(model.state_dict(), sys.argv[1])
'''

BUILD_ANI = f'''
import importlib.util, sys, torch
spec = importlib.util.spec_from_file_location("astray_worker", {str(POTENTIALS_DIR / "worker.py")!r})
worker = importlib.util.module_from_spec(spec)
spec.loader.exec_module(worker)
ani_family, _ = worker.load_family({str(POTENTIALS_DIR / "families" / "ani_family.py")!r})
torch.manual_seed(0)
torch.save(ani_family.build_architecture().state_dict(), sys.argv[1])
'''


# A small UMA 1.1: the MoE eSCN-MD backbone with charge, spin and dataset embeddings and the
# dataset-specific energy/force head, saved as the inference checkpoint fairchem publishes
# (model config, weights, EMA weights and the task list with element references).
BUILD_FAIRCHEM = '''
import sys, torch
from fairchem.core.models.base import HydraModel
from fairchem.core.units.mlip_unit.api.inference import MLIPInferenceCheckpoint
torch.manual_seed(0)
datasets = ["omat", "omol"]
backbone = dict(
    model="fairchem.core.models.uma.escn_moe.eSCNMDMoeBackbone", max_num_elements=100,
    sphere_channels=16, lmax=2, mmax=2, otf_graph=True, max_neighbors=30, cutoff=6.0,
    edge_channels=16, distance_function="gaussian", num_distance_basis=16,
    direct_forces=False, regress_forces=True, regress_stress=False, num_layers=2,
    hidden_channels=16, norm_type="rms_norm_sh", act_type="gate", ff_type="spectral",
    chg_spin_emb_type="rand_emb", cs_emb_grad=True, dataset_emb_grad=True,
    dataset_mapping={d: d for d in datasets}, use_dataset_embedding=True, num_experts=2,
    use_composition_embedding=True, model_version=1.1, always_use_pbc=False)
heads = {"efs": dict(module="fairchem.core.models.uma.escn_moe.DatasetSpecificSingleHeadWrapper",
                     head_cls="fairchem.core.models.uma.escn_md.MLP_EFS_Head",
                     dataset_names=datasets, head_kwargs={"wrap_property": False})}
model_config = {"_target_": "fairchem.core.models.base.HydraModel", "backbone": backbone,
                "heads": heads, "pass_through_head_outputs": True, "otf_graph": True}
model = HydraModel(backbone=backbone, heads=heads, pass_through_head_outputs=True,
                   otf_graph=True)
state = model.state_dict()
ema = {"module." + key: value for key, value in state.items()}
ema["n_averaged"] = torch.tensor(1)
element_references = torch.zeros(100)
element_references[1], element_references[2], element_references[3] = -13.6, -79.0, -203.0

def task(dataset, prop, level, dim):
    spec = {"_target_": "fairchem.core.units.mlip_unit.mlip_unit.Task",
            "name": f"{dataset}_{prop}", "level": level, "property": prop,
            "datasets": [dataset],
            "out_spec": {"_target_": "fairchem.core.units.mlip_unit.mlip_unit.OutputSpec",
                         "dim": dim, "dtype": "float32"},
            "normalizer": {
                "_target_": "fairchem.core.modules.normalization.normalizer.Normalizer",
                "mean": 0.0, "rmsd": 1.0}}
    if prop == "energy":
        spec["element_references"] = {
            "_target_": "fairchem.core.modules.normalization.element_references."
                        "ElementReferences",
            "element_references": element_references.clone()}
    return spec

tasks = [task(d, p, level, dim) for d in datasets
         for p, level, dim in (("energy", "system", [1]), ("forces", "atom", [3]))]
torch.save(MLIPInferenceCheckpoint(model_config=model_config, model_state_dict=state,
                                   ema_state_dict=ema, tasks_config=tasks), sys.argv[1])
'''

# The wB97M-D3 AIMNet2 of the package's own model definition, randomly initialised and exported
# by the package's own exporter (self-atomic energies baked in, D3 and Coulomb moved outside).
BUILD_AIMNET = '''
import sys, tempfile
from pathlib import Path
import torch, yaml
import aimnet
from aimnet.config import build_module
from aimnet.train.export_model import export_model
torch.manual_seed(0)
config = Path(aimnet.__file__).parent / "models" / "aimnet2_dftd3_wb97m.yaml"
work = Path(tempfile.mkdtemp())
torch.save(build_module(yaml.safe_load(config.read_text())).state_dict(), work / "raw.pt")
(work / "sae.yaml").write_text("1: -13.6\\n3: -203.0\\n6: -1030.0\\n7: -1485.0\\n8: -2040.0\\n")
export_model.callback(str(work / "raw.pt"), sys.argv[1], str(config), str(work / "sae.yaml"),
                      None, None, ())
'''


def family_python(variable: str) -> str:
    python = os.environ.get(variable)
    if not python or not Path(python).is_file():
        pytest.skip(f"set {variable} to the Python of a virtual environment with the family's "
                    "package (docs/foundation_models.md)")
    return python


def random_weights(python: str, builder: str, path: Path, *args: str) -> Path:
    """Weights of the real architecture, randomly initialised, written by ``python``."""
    script = path.with_suffix(".build.py")
    script.write_text(textwrap.dedent(builder))
    subprocess.run([python, str(script), str(path), *args], check=True, capture_output=True)
    return path


def charge_spin_batch() -> list:
    """H2 (singlet), H2+ (doublet), H2++ and triplet H2, all at 1 A."""
    triplet = H2.atoms(1.0)
    triplet.info["spin"] = 3
    return [get_system(name).atoms(1.0) for name in ("H2", "H2+", "H2++")] + [triplet]


def assert_forces_are_minus_the_energy_gradient(potential, r=1.0, h=1e-4, tolerance=1e-4):
    """Units and sign: the force on B (at +r along z) is -dE/dr; float32 models need a larger
    step ``h`` (A) and ``tolerance`` (eV/A) for the rounding of energies of ~30 eV."""
    prediction = potential.evaluate([H2.atoms(r), H2.atoms(r - h), H2.atoms(r + h)])
    de_dr = (prediction.energy[2] - prediction.energy[1]) / (2 * h)
    assert prediction.forces[0][1][2] == pytest.approx(-de_dr, rel=1e-3, abs=tolerance)


@pytest.mark.slow
def test_mace_omol_reads_charge_and_spin_and_mace_off_does_not(tmp_path):
    python = family_python("ASTRAY_TEST_MACE_PYTHON")
    omol = load_potential("mace-omol", python=python, trust_weights=True, weights=random_weights(
        python, BUILD_MACE, tmp_path / "omol.model", "omol"))
    off = load_potential("mace-off-small", python=python, trust_weights=True,
                         weights=random_weights(python, BUILD_MACE, tmp_path / "off.model", "off"))
    energies = omol.evaluate(charge_spin_batch()).energy
    assert np.all(np.isfinite(energies)) and len(set(np.round(energies, 8))) == 4
    assert len(set(off.evaluate(charge_spin_batch()).energy)) == 1
    assert_forces_are_minus_the_energy_gradient(omol)
    assert omol.describe()["package"] == "mace-torch"


@pytest.mark.slow
def test_orb_omol_reads_charge_and_spin(tmp_path):
    python = family_python("ASTRAY_TEST_ORB_PYTHON")
    orb = load_potential("orb-v3-conservative-omol", python=python,
                         weights=random_weights(python, BUILD_ORB, tmp_path / "orb.ckpt"))
    energies = orb.evaluate(charge_spin_batch()).energy
    assert np.all(np.isfinite(energies)) and len(set(np.round(energies, 5))) == 4
    assert_forces_are_minus_the_energy_gradient(orb, h=1e-2, tolerance=5e-4)


@pytest.mark.slow
def test_ani_2x_is_charge_blind_and_conservative(tmp_path):
    python = family_python("ASTRAY_TEST_ANI_PYTHON")
    ani = load_potential("ani-2x", python=python,
                         weights=random_weights(python, BUILD_ANI, tmp_path / "ani.pt"))
    prediction = ani.evaluate(charge_spin_batch() + [H2.fragments[0].atoms()])
    assert np.all(np.isfinite(prediction.energy))
    assert len(set(prediction.energy[:4])) == 1  # charge and spin change nothing
    assert_forces_are_minus_the_energy_gradient(ani, h=1e-2, tolerance=5e-4)


@pytest.mark.slow
def test_fairchem_uma_reads_charge_and_spin_and_isolated_atom_references(tmp_path):
    """A UMA checkpoint in fairchem's snapshot layout: charge and spin reach the model, forces
    are -dE/dr, and a single atom gets the isolated-atom reference (eV) stored beside it."""
    python = family_python("ASTRAY_TEST_FAIRCHEM_PYTHON")
    snapshot = tmp_path / "snapshots" / "0123abc"
    (snapshot / "checkpoints").mkdir(parents=True)
    (snapshot / "references").mkdir()
    (snapshot / "references" / "iso_atom_elem_refs.yaml").write_text(
        "omol_elem_refs:\n  1: {0: -13.25, 1: 0.0}\n")
    weights = random_weights(python, BUILD_FAIRCHEM, snapshot / "checkpoints" / "uma-s-1p1.pt")
    uma = load_potential("uma-s-1p1", python=python, weights=weights, trust_weights=True)
    energies = uma.evaluate(charge_spin_batch()).energy
    assert np.all(np.isfinite(energies)) and len(set(np.round(energies, 5))) == 4
    atom = uma.evaluate([H2.fragments[0].atoms()])
    assert atom.energy[0] == pytest.approx(-13.25) and np.all(atom.forces[0] == 0)
    assert_forces_are_minus_the_energy_gradient(uma, h=1e-2, tolerance=5e-4)
    assert uma.describe()["package"] == "fairchem-core"


@pytest.mark.slow
def test_aimnet2_reads_charge_but_not_spin(tmp_path):
    python = family_python("ASTRAY_TEST_AIMNET_PYTHON")
    aimnet2 = load_potential("aimnet2", python=python, trust_weights=True,
                             weights=random_weights(python, BUILD_AIMNET, tmp_path / "aimnet2.pt"))
    energies = aimnet2.evaluate(charge_spin_batch()).energy
    assert np.all(np.isfinite(energies))
    assert len(set(np.round(energies[:3], 6))) == 3  # H2, H2+, H2++ differ
    assert energies[3] == energies[0]  # the wB97M-D3 model has no spin input
    assert_forces_are_minus_the_energy_gradient(aimnet2, h=1e-3, tolerance=1e-4)
    assert aimnet2.describe()["package"] == "aimnet"
