"""PackedGraphs: batches equal the structures they pack, neighbour pairs equal a fresh search,
only the selected structures are read, shuffling is deterministic and covers each molecule once."""
from functools import lru_cache

import numpy as np
import pytest
import torch

from astray.models.neighbors import radius_graph
from astray.train import batching
from astray.train.batching import PackedGraphs, concatenated_ranges

#: QM9-like molecules (up to 9 heavy atoms of C, N, O, F) plus a lone atom and a far-apart pair.
SMILES = ("CC(C)C(=O)OC", "OC1CCCCC1C", "N#CC1=CC=CN=C1", "FC(F)(F)C1CC1O", "CC#CC(C)(C)O",
          "C1CN2CCC1CC2", "O=CC1=CC=CO1", "CCN(CC)CC")
CUTOFF = 5.0


@lru_cache
def embedded_molecules():
    """numbers [n_atoms] (uint8), positions [n_atoms, 3] float64 angstrom, offsets: the SMILES
    above embedded with RDKit, then a neon atom alone and two helium atoms 6 A apart."""
    from rdkit import Chem
    from rdkit.Chem import AllChem

    numbers, positions = [], []
    for seed, smiles in enumerate(SMILES):
        molecule = Chem.AddHs(Chem.MolFromSmiles(smiles))
        assert AllChem.EmbedMolecule(molecule, randomSeed=seed) == 0
        numbers.append([atom.GetAtomicNum() for atom in molecule.GetAtoms()])
        positions.append(molecule.GetConformer().GetPositions())
    numbers += [[10], [2, 2]]
    positions += [np.zeros((1, 3)), np.array([[0.0, 0.0, 0.0], [0.0, 0.0, 6.0]])]
    offsets = np.concatenate([[0], np.cumsum([len(n) for n in numbers])])
    return (np.concatenate(numbers).astype(np.uint8), np.concatenate(positions),
            offsets.astype(np.int64))


class RecordingArray:
    """An array that records which rows are read (stands in for a memory map)."""

    def __init__(self, array):
        self.array, self.rows_read = array, set()

    def __getitem__(self, key):
        self.rows_read.update(np.arange(len(self.array))[key].reshape(-1).tolist())
        return self.array[key]

    def __len__(self):
        return len(self.array)


def edge_set(edge_index):
    return set(map(tuple, edge_index.t().tolist()))


def test_concatenated_ranges():
    starts, lengths = torch.tensor([5, 0, 9, 2]), torch.tensor([2, 0, 3, 1])
    assert concatenated_ranges(starts, lengths).tolist() == [5, 6, 9, 10, 11, 2]


def test_batch_equals_the_packed_structures_and_a_fresh_neighbour_search():
    numbers, positions, offsets = embedded_molecules()
    indices = np.array([9, 3, 0, 8, 5])
    charges = np.arange(len(offsets) - 1) - 4.0
    packed = PackedGraphs.from_arrays(numbers, positions, offsets, indices, CUTOFF, charges)
    batch = packed.batch(torch.tensor([4, 0, 2, 3]))  # structures 5, 9, 0, 8
    expected = [5, 9, 0, 8]
    assert batch.index.tolist() == expected
    assert batch.charge.tolist() == [charges[k] for k in expected]
    atoms = np.concatenate([np.arange(offsets[k], offsets[k + 1]) for k in expected])
    assert batch.z.dtype == torch.long and batch.z.tolist() == numbers[atoms].tolist()
    assert torch.equal(batch.pos, torch.tensor(positions[atoms], dtype=torch.float32))
    assert batch.batch.tolist() == np.repeat(np.arange(4), np.diff(offsets)[expected]).tolist()
    assert edge_set(batch.edge_index) == edge_set(radius_graph(batch.pos, batch.batch, CUTOFF))
    assert batch.edge_index.shape[1] == len(edge_set(batch.edge_index))
    assert len(batch) == 4


def test_lone_atoms_and_pairs_beyond_the_cutoff_have_no_edges():
    numbers, positions, offsets = embedded_molecules()
    packed = PackedGraphs.from_arrays(numbers, positions, offsets, [8, 9], CUTOFF)
    batch = packed.batch(torch.arange(2))
    assert batch.edge_index.shape == (2, 0)
    assert batch.batch.tolist() == [0, 1, 1]


def test_only_the_selected_structures_are_read():
    numbers, positions, offsets = embedded_molecules()
    recorded_numbers, recorded_positions = RecordingArray(numbers), RecordingArray(positions)
    PackedGraphs.from_arrays(recorded_numbers, recorded_positions, offsets, [2, 6], CUTOFF)
    selected = set(range(offsets[2], offsets[3])) | set(range(offsets[6], offsets[7]))
    assert recorded_numbers.rows_read == selected
    assert recorded_positions.rows_read == selected


def test_neighbour_search_in_chunks_gives_the_same_pairs(monkeypatch):
    numbers, positions, offsets = embedded_molecules()
    indices = np.arange(len(offsets) - 1)
    whole = PackedGraphs.from_arrays(numbers, positions, offsets, indices, CUTOFF)
    monkeypatch.setattr(batching, "NEIGHBOUR_CHUNK", 3)
    chunked = PackedGraphs.from_arrays(numbers, positions, offsets, indices, CUTOFF)
    assert torch.equal(whole.pairs, chunked.pairs)
    assert torch.equal(whole.pair_offsets, chunked.pair_offsets)


def test_shuffled_epochs_are_deterministic_and_cover_every_molecule_once():
    numbers, positions, offsets = embedded_molecules()
    indices = np.arange(len(offsets) - 1)
    packed = PackedGraphs.from_arrays(numbers, positions, offsets, indices, CUTOFF)

    def epoch(seed, **options):
        generator = torch.Generator().manual_seed(seed)
        return [b.index.tolist() for b in packed.batches(3, shuffle=True, generator=generator,
                                                          **options)]

    first = epoch(7)
    assert first == epoch(7) and first != epoch(8)
    assert [len(b) for b in first] == [3, 3, 3, 1]
    assert sorted(sum(first, [])) == indices.tolist()
    assert [len(b) for b in epoch(7, drop_last=True)] == [3, 3, 3]
    in_order = [b.index.tolist() for b in packed.batches(4)]
    assert in_order == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]


def test_batches_move_to_a_device_with_their_values():
    numbers, positions, offsets = embedded_molecules()
    packed = PackedGraphs.from_arrays(numbers, positions, offsets, [1, 2], CUTOFF).to("cpu")
    batch = packed.batch(torch.arange(2))
    moved = batch.to("cpu")
    assert moved.charge is None
    assert torch.equal(moved.edge_index, batch.edge_index)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_batches_cut_on_the_gpu_equal_those_cut_on_the_cpu():
    numbers, positions, offsets = embedded_molecules()
    packed = PackedGraphs.from_arrays(numbers, positions, offsets, [0, 3, 5, 7], CUTOFF)
    on_cpu = packed.batch(torch.tensor([3, 1]))
    on_gpu = packed.to("cuda").batch(torch.tensor([3, 1]))
    assert torch.equal(on_gpu.edge_index.cpu(), on_cpu.edge_index)
    assert torch.equal(on_gpu.pos.cpu(), on_cpu.pos)
