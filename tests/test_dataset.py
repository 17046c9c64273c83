"""The canonical data set: writing in blocks, memory-mapped reading, export and round trips."""

import json
import shutil
import subprocess
import sys

import numpy as np
import pytest

from astray.data.dataset import KINDS, DatasetWriter, Structures
from astray.data.export import export_extxyz
from astray.data.readers import import_dataset
from astray.errors import DatasetError
from toy_dataset import ATOM_ENERGIES_EV, toy_atoms, write_toy_extxyz

ARRAYS = ("numbers", "positions", "offsets", "energy", "atomization_energy", "charge",
          "multiplicity", "kind", "origin", "forces")


def random_block(rng, n, start=0, forces=True):
    """n structures of 1-6 atoms at full float64 precision (no value survives 8-decimal text)."""
    counts = rng.integers(1, 7, n)
    total = int(counts.sum())
    return Structures(
        numbers=rng.integers(1, 10, total).astype(np.uint8),
        positions=rng.normal(size=(total, 3)) * 3, offsets=np.concatenate([[0], np.cumsum(counts)]),
        energy=rng.normal(size=n) * 100, atomization_energy=-rng.random(n) * 10,
        charge=rng.integers(-1, 2, n).astype(np.int8),
        multiplicity=rng.integers(1, 4, n).astype(np.int8),
        kind=rng.integers(0, len(KINDS), n).astype(np.uint8),
        origin=np.array([f"random:{i}" for i in range(start, start + n)]),
        forces=rng.normal(size=(total, 3)) if forces else None)


def assert_identical(first, second):
    for name in ARRAYS:
        a, b = getattr(first, name), getattr(second, name)
        if a is None or b is None:
            assert a is None and b is None, name
        else:
            assert a.dtype == b.dtype and np.array_equal(np.asarray(a), np.asarray(b),
                                                         equal_nan=a.dtype.kind == "f"), name


def test_blocks_written_are_read_back_exactly_and_memory_mapped(tmp_path):
    rng = np.random.default_rng(3)
    blocks = [random_block(rng, 40, 0), random_block(rng, 25, 40)]
    writer = DatasetWriter(tmp_path / "set", name="set", level_of_theory="none (random)")
    for block in blocks:
        writer.append(block)
    dataset = writer.close()
    assert not (tmp_path / "set.partial").exists()
    assert isinstance(dataset.positions, np.memmap) and len(dataset) == 65
    numbers, positions = dataset.structure(41)
    second = blocks[1]
    assert np.array_equal(numbers, second.numbers[second.offsets[1]:second.offsets[2]])
    assert np.array_equal(positions, second.positions[second.offsets[1]:second.offsets[2]])
    assert np.array_equal(dataset.forces[-3:], second.forces[-3:])
    assert dataset.origin[40] == "random:40"


def test_atomization_energies_are_derived_from_isolated_atoms(tmp_path):
    path = tmp_path / "toy.extxyz"
    write_toy_extxyz(path)
    dataset = import_dataset(path, "toy", level_of_theory="toy Morse bonds",
                             atom_energies=json.dumps(ATOM_ENERGIES_EV))
    frames = toy_atoms()
    # stable H2 is one bond at its rest length: E - 2 E_H = -4 eV; H2O has two bonds: -8 eV
    assert dataset.atomization_energy[2] == pytest.approx(-4.0, abs=1e-6)
    assert dataset.atomization_energy[12] == pytest.approx(-8.0, abs=1e-6)
    assert frames[12].info["origin"] == dataset.origin[12] == "toy:H2O:1.0"
    assert dataset.info() | {"path": None} == {
        "name": "toy", "level_of_theory": "toy Morse bonds", "n_structures": 50,
        "n_stable": 10, "n_distorted": 40, "elements": ["H", "C", "N", "O", "F"],
        "max_atoms": 6, "has_forces": True, "path": None, "source": f"extxyz:{path}"}


def test_missing_isolated_atom_energy_is_named(tmp_path):
    path = tmp_path / "toy.extxyz"
    write_toy_extxyz(path)
    with pytest.raises(DatasetError, match="no isolated-atom energy for C, F, N, O"):
        import_dataset(path, "toy", atom_energies='{"H": -13.6}')
    assert not list((tmp_path / "astray-home" / "datasets").iterdir())  # nothing half-written


def test_export_and_import_give_identical_float64_arrays(tmp_path):
    rng = np.random.default_rng(7)
    writer = DatasetWriter(tmp_path / "original", name="original", level_of_theory="none")
    writer.append(random_block(rng, 300))
    original = writer.close()
    assert export_extxyz(original, tmp_path / "out.extxyz") == 300
    again = import_dataset(tmp_path / "out.extxyz", "again")
    assert_identical(original, again)
    with pytest.raises(DatasetError, match="already exists"):
        export_extxyz(original, tmp_path / "out.extxyz")


def test_origins_that_look_like_numbers_survive_export(tmp_path):
    rng = np.random.default_rng(8)
    block = random_block(rng, 4, forces=False)
    block.origin = np.array(["12", "1e3", "T", 'name with "quotes"'])
    block.energy[1] = np.nan  # only the atomization energy known, as from paper-npy
    writer = DatasetWriter(tmp_path / "odd", name="odd", level_of_theory="none")
    writer.append(block)
    export_extxyz(writer.close(), tmp_path / "odd.extxyz")
    again = import_dataset(tmp_path / "odd.extxyz", "odd")
    assert again.origin.tolist() == block.origin.tolist() and np.isnan(again.energy[1])
    assert again.forces is None


MEMORY_SCRIPT = """
import json, resource, sys
import numpy as np
from astray.data.dataset import DatasetWriter, Structures, open_dataset
from astray.train.splits import split_indices

def peak_mib():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB

def anonymous_mib():  # the process's own memory, not pages of memory-mapped files
    status = dict(line.split(":", 1) for line in open("/proc/self/status"))
    return int(status["RssAnon"].split()[0]) / 1024

stage, path, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
baseline, anonymous = peak_mib(), anonymous_mib()
if stage == "write":
    rng = np.random.default_rng(0)
    writer = DatasetWriter(path, name="synthetic", level_of_theory="none (synthetic)")
    for start in range(0, n, n // 20):
        m = min(n // 20, n - start)
        counts = rng.integers(3, 20, m)  # 11 atoms on average
        atoms = int(counts.sum())
        writer.append(Structures(
            numbers=rng.integers(1, 10, atoms).astype(np.uint8),
            positions=rng.normal(size=(atoms, 3)) * 2,
            offsets=np.concatenate([[0], np.cumsum(counts)]), energy=rng.normal(size=m),
            atomization_energy=rng.normal(size=m), charge=np.zeros(m, np.int8),
            multiplicity=np.ones(m, np.int8), kind=rng.integers(0, 5, m).astype(np.uint8),
            origin=np.array([f"synthetic:{i}" for i in range(start, start + m)])))
    writer.close()
    print(json.dumps({"growth_mib": peak_mib() - baseline}))
else:
    dataset = open_dataset(path)
    split = split_indices(dataset.indices_of("all"), None)
    targets = np.asarray(dataset.atomization_energy[split.train])  # e.g. for normalisation

    def gather(indices):
        starts, stops = dataset.offsets[indices], dataset.offsets[indices + 1]
        counts = stops - starts
        atoms = np.repeat(starts - np.cumsum(counts) + counts, counts) + np.arange(counts.sum())
        return dataset.numbers[atoms], dataset.positions[atoms], dataset.atomization_energy[indices]

    numbers, positions, energies = gather(split.train[:50])
    after_batch, anonymous_after_batch = peak_mib() - baseline, anonymous_mib() - anonymous
    checksum = 0.0
    for start in range(0, len(split.train), 10_000):  # one epoch, batch by batch
        checksum += gather(split.train[start:start + 10_000])[1].sum()
    print(json.dumps({"growth_after_batch_mib": after_batch, "growth_mib": peak_mib() - baseline,
                      "anonymous_growth_after_batch_mib": anonymous_after_batch,
                      "batch_atoms": len(numbers), "checksum": checksum,
                      "n_train": len(split.train)}))
"""


def measure(stage, path, n):
    result = subprocess.run([sys.executable, "-c", MEMORY_SCRIPT, stage, str(path), str(n)],
                            capture_output=True, text=True, check=True)
    return json.loads(result.stdout)


@pytest.mark.parametrize("n", [100_000, pytest.param(1_000_000, marks=pytest.mark.slow)])
def test_training_reads_a_large_set_in_bounded_memory(tmp_path, n):
    """Write n synthetic structures in 20 blocks, then (in a fresh process) open them, draw the
    study's split, gather a batch and read one epoch. Peak resident memory (getrusage) stays
    under 4 GB; it counts the pages of the memory-mapped files the kernel maps around each
    access, so the process's own (anonymous) memory shows that nothing was loaded whole."""
    path = tmp_path / "synthetic"
    written = measure("write", path, n)
    read = measure("read", path, n)
    size_mib = sum(f.stat().st_size for f in path.iterdir()) / 2**20
    print(f"\n{n} structures, {size_mib:.0f} MiB on disk; peak RSS growth: writing "
          f"{written['growth_mib']:.0f} MiB, one batch {read['growth_after_batch_mib']:.0f} MiB "
          f"(own memory {read['anonymous_growth_after_batch_mib']:.0f} MiB), one epoch "
          f"{read['growth_mib']:.0f} MiB")
    assert read["n_train"] == n - 2000 and read["batch_atoms"] > 50
    assert written["growth_mib"] < size_mib  # blocks are streamed, never the whole set
    assert read["anonymous_growth_after_batch_mib"] < size_mib / 4
    assert read["growth_mib"] < 4096
    shutil.rmtree(path)
