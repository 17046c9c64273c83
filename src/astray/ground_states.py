"""Ground states of atoms and diatomics, as data with their sources.

Three tables:

* :data:`ATOM_GROUND_TERMS`: the ground term of every neutral atom H-Pu (Z 1-94), from the NIST
  Atomic Spectra Database (ASD) ground levels (Kramida, Ralchenko, Reader & NIST ASD Team);
  the multiplicity 2S+1 is the term's superscript. It agrees with ASE's
  ``ground_state_magnetic_moments`` (2S unpaired electrons) everywhere but Ce, whose ground
  level is 4f 5d 6s2 1G4 (a singlet; ASE gives one unpaired electron): a test checks this.
* :data:`HOMONUCLEAR`: the measured (or, marked so, tentative, disputed or computed) ground
  state of X2, with its source: Huber & Herzberg 1979 (*Constants of Diatomic Molecules*, as
  given in the NIST Chemistry WebBook) for the main group, Morse 1986 (Chem. Rev. 86, 1049) and
  Lombardi & Davis 2002 (Chem. Rev. 102, 2431) for transition-metal dimers, later papers named
  in the entry.
* :data:`HETERONUCLEAR`: the common heteronuclear ground states (hydrides, oxides, halides of
  the first rows, and the other pairs with measured constants in
  ``reference/constants.csv``), Huber & Herzberg 1979.

A pair in no table gets :data:`RULE`: the lowest multiplicity the ground-state fragments can
couple to, 2|S_A - S_B| + 1 (for X2 always a singlet), and the entry says ``status="rule"`` so a
report can say that the spin was not measured. The rule is right for most closed-shell and
singly-bonded pairs and wrong for some (SO and S2 are triplets: they are in the tables).

A few dimers have a ground state that does not correlate with two ground-state atoms (Sc2 and
Y2 5Sigma_u- come from s1d2 + s2d1 atoms, Pd2 3Sigma_u+ from 4d10 + 4d9 5s, MgO and BeO 1Sigma+
from M 1S + O 1D): their entries give
the fragment multiplicities the state dissociates to (:attr:`DimerState.fragment_multiplicities`),
so a spin-conserving curve has a spin-conserving limit.
"""

from __future__ import annotations

from dataclasses import dataclass

from ase.data import atomic_numbers, chemical_symbols

NIST_ASD = "NIST Atomic Spectra Database, ground levels (Kramida, Ralchenko, Reader et al.)"
HUBER_HERZBERG = ("Huber & Herzberg 1979, Constants of Diatomic Molecules (NIST Chemistry "
                  "WebBook)")
MORSE_1986 = "Morse 1986, Chem. Rev. 86, 1049"
LOMBARDI_DAVIS = "Lombardi & Davis 2002, Chem. Rev. 102, 2431"
#: Source of an entry placed by the documented rule, not by a measurement.
RULE = "rule"

#: Ground term of the neutral atom, Z 1-94 (NIST ASD; the multiplicity is the leading number).
ATOM_GROUND_TERMS: dict[str, str] = dict(zip(chemical_symbols[1:95], (
    "2S", "1S",                                                        # H He
    "2S", "1S", "2P", "3P", "4S", "3P", "2P", "1S",                    # Li-Ne
    "2S", "1S", "2P", "3P", "4S", "3P", "2P", "1S",                    # Na-Ar
    "2S", "1S", "2D", "3F", "4F", "7S", "6S", "5D", "4F", "3F", "2S", "1S",  # K-Zn
    "2P", "3P", "4S", "3P", "2P", "1S",                                # Ga-Kr
    "2S", "1S", "2D", "3F", "6D", "7S", "6S", "5F", "4F", "1S", "2S", "1S",  # Rb-Cd
    "2P", "3P", "4S", "3P", "2P", "1S",                                # In-Xe
    "2S", "1S", "2D", "1G", "4I", "5I", "6H", "7F", "8S", "9D", "6H", "5I", "4I", "3H", "2F",
    "1S", "2D",                                                        # Cs-Lu
    "3F", "4F", "5D", "6S", "5D", "4F", "3D", "2S", "1S",              # Hf-Hg
    "2P", "3P", "4S", "3P", "2P", "1S",                                # Tl-Rn
    "2S", "1S", "2D", "3F", "4K", "5L", "6L", "7F",                    # Fr-Pu
)))


def atom_multiplicity(symbol: str) -> int | None:
    """Ground-state multiplicity 2S+1 of the neutral atom (NIST ASD), None beyond Pu."""
    term = ATOM_GROUND_TERMS.get(symbol)
    return None if term is None else int(term[:-1])


@dataclass(frozen=True)
class DimerState:
    """The ground electronic state of a neutral diatomic.

    Attributes:
        name: the molecule (``O2``, ``HF``).
        symbols: the two elements, in the order of ``name``.
        multiplicity: 2S+1 of the ground state.
        term: the term symbol (``3Sigma_g-``; Hund's case (c) ``0g+`` where only Omega is known,
            with the Lambda-S parent it comes from), "" where the entry has only the spin.
        status: ``measured`` (gas-phase spectroscopy), ``matrix`` (ESR in rare-gas matrices),
            ``tentative`` (assigned from incomplete data), ``disputed`` (experiment and theory
            disagree), ``computed`` (no measurement; high-level calculations agree), ``rule``.
        source: where it comes from.
        fragment_multiplicities: the atoms' multiplicities at the limit this state dissociates
            to, where that is not two ground-state atoms; None otherwise.
        note: what a reader should know.
    """

    name: str
    symbols: tuple[str, str]
    multiplicity: int
    term: str
    status: str
    source: str
    fragment_multiplicities: tuple[int, int] | None = None
    note: str = ""


def _homo(symbol, mult, term, status="measured", source=HUBER_HERZBERG, fragments=None,
          note=""):
    return DimerState(f"{symbol}2", (symbol, symbol), mult, term, status, source, fragments,
                      note)


_VDW = "closed-shell atoms: a van der Waals well"
#: Ground states of X2, H-Rn, every one with a source (elements missing here get RULE).
HOMONUCLEAR: dict[str, DimerState] = {state.symbols[0]: state for state in (
    _homo("H", 1, "1Sigma_g+"),
    _homo("He", 1, "1Sigma_g+", source="Luo et al. 1993, J. Chem. Phys. 98, 3564 (observed); "
          "Przybytek et al. 2010, PRL 104, 183003", note=_VDW),
    _homo("Li", 1, "1Sigma_g+"),
    _homo("Be", 1, "1Sigma_g+", source="Merritt, Bondybey & Heaven 2009, Science 324, 1548"),
    _homo("B", 3, "3Sigma_g-"),
    _homo("C", 1, "1Sigma_g+", note="a 3Pi_u state lies only 0.09 eV above"),
    _homo("N", 1, "1Sigma_g+"),
    _homo("O", 3, "3Sigma_g-"),
    _homo("F", 1, "1Sigma_g+"),
    _homo("Ne", 1, "1Sigma_g+", note=_VDW),
    _homo("Na", 1, "1Sigma_g+"),
    _homo("Mg", 1, "1Sigma_g+", note=_VDW),
    _homo("Al", 3, "3Pi_u", source="Fu, Lemire, Bishea & Morse 1990, J. Chem. Phys. 93, 8420",
          note="3Sigma_g- lies within 0.03 eV (Huber & Herzberg left the assignment open)"),
    _homo("Si", 3, "3Sigma_g-"),
    _homo("P", 1, "1Sigma_g+"),
    _homo("S", 3, "3Sigma_g-"),
    _homo("Cl", 1, "1Sigma_g+"),
    _homo("Ar", 1, "1Sigma_g+", note=_VDW),
    _homo("K", 1, "1Sigma_g+"),
    _homo("Ca", 1, "1Sigma_g+", note=_VDW),
    _homo("Sc", 5, "5Sigma_u-", "matrix", f"Knight et al. 1983 (matrix ESR); {LOMBARDI_DAVIS}",
          (2, 4), "dissociates to Sc 3d1 4s2 (2D) + Sc 3d2 4s1 (4F)"),
    _homo("Ti", 3, "3Delta_g", source=f"Doverstal et al. 1998 (jet spectroscopy); "
          f"{LOMBARDI_DAVIS}"),
    _homo("V", 3, "3Sigma_g-", source=f"Spain & Morse 1992; {LOMBARDI_DAVIS}"),
    _homo("Cr", 1, "1Sigma_g+", source=f"Bondybey & English 1983; {MORSE_1986}"),
    _homo("Mn", 1, "1Sigma_g+", "matrix", f"Baumann, Van Zee & Weltner 1983 (matrix ESR: "
          f"antiferromagnetic coupling); {MORSE_1986}",
          note="weakly bound 3d5 4s2 atoms; higher spin states lie within a few cm-1"),
    _homo("Fe", 7, "7Delta_u", "disputed", f"Leopold & Lineberger 1986 (photoelectron "
          f"spectrum of Fe2-); {LOMBARDI_DAVIS}",
          note="disputed: some calculations place 9Sigma_g- lowest"),
    _homo("Co", 5, "5Delta_g", "computed", LOMBARDI_DAVIS,
          note="not established by experiment"),
    _homo("Ni", 3, "0g+ (3Sigma_g- parent)", "tentative",
          "Pinegar, Langenberg, Arrington, Spain & Morse 1995, J. Chem. Phys. 102, 666",
          note="3d9 3d9 holes: Omega = 0 measured, the Lambda-S parent not"),
    _homo("Cu", 1, "1Sigma_g+"),
    _homo("Zn", 1, "1Sigma_g+", note=_VDW),
    _homo("Ga", 3, "3Pi_u", "tentative", LOMBARDI_DAVIS),
    _homo("Ge", 3, "3Sigma_g-"),
    _homo("As", 1, "1Sigma_g+"),
    _homo("Se", 3, "3Sigma_g-"),
    _homo("Br", 1, "1Sigma_g+"),
    _homo("Kr", 1, "1Sigma_g+", note=_VDW),
    _homo("Rb", 1, "1Sigma_g+"),
    _homo("Sr", 1, "1Sigma_g+", note=_VDW),
    _homo("Y", 5, "5Sigma_u-", "tentative", LOMBARDI_DAVIS, (2, 4),
          "dissociates to Y 4d1 5s2 (2D) + Y 4d2 5s1 (4F), as Sc2"),
    _homo("Zr", 3, "3Delta_g", "tentative", LOMBARDI_DAVIS),
    _homo("Nb", 3, "3Sigma_g-", source=f"James, Kowalczyk, Simard, Pinegar & Morse 1994; "
          f"{LOMBARDI_DAVIS}"),
    _homo("Mo", 1, "1Sigma_g+", source=f"Hopkins et al. 1983; {MORSE_1986}"),
    _homo("Ru", 7, "7Delta_u", "computed", LOMBARDI_DAVIS, note="not established by experiment"),
    _homo("Pd", 3, "3Sigma_u+", "computed", LOMBARDI_DAVIS, (1, 3),
          "dissociates to Pd 4d10 (1S) + Pd 4d9 5s1 (3D)"),
    _homo("Ag", 1, "1Sigma_g+"),
    _homo("Cd", 1, "1Sigma_g+", note=_VDW),
    _homo("In", 3, "3Pi_u", "tentative", LOMBARDI_DAVIS),
    _homo("Sn", 3, "0g+ (3Sigma_g- parent)"),
    _homo("Sb", 1, "1Sigma_g+"),
    _homo("Te", 3, "0g+ (3Sigma_g- parent)"),
    _homo("I", 1, "1Sigma_g+"),
    _homo("Xe", 1, "1Sigma_g+", note=_VDW),
    _homo("Cs", 1, "1Sigma_g+"),
    _homo("Pt", 3, "0g+ (3Sigma_g- parent)", "tentative",
          "Airola & Morse 2002, J. Chem. Phys. 116, 1313"),
    _homo("Au", 1, "1Sigma_g+"),
    _homo("Hg", 1, "0g+ (1Sigma_g+)", note=_VDW),
    _homo("Pb", 3, "0g+ (3Sigma_g- parent)"),
    _homo("Bi", 1, "1Sigma_g+"),
)}


def _hetero(name, a, b, mult, term, fragments=None, note=""):
    return DimerState(name, (a, b), mult, term, "measured", HUBER_HERZBERG, fragments, note)


#: Common heteronuclear ground states (Huber & Herzberg 1979), by the unordered pair.
HETERONUCLEAR: dict[frozenset[str], DimerState] = {frozenset(state.symbols): state for state in (
    _hetero("LiH", "Li", "H", 1, "1Sigma+"), _hetero("BeH", "Be", "H", 2, "2Sigma+"),
    _hetero("BH", "B", "H", 1, "1Sigma+"), _hetero("CH", "C", "H", 2, "2Pi"),
    _hetero("NH", "N", "H", 3, "3Sigma-"), _hetero("OH", "O", "H", 2, "2Pi"),
    _hetero("HF", "H", "F", 1, "1Sigma+"), _hetero("NaH", "Na", "H", 1, "1Sigma+"),
    _hetero("MgH", "Mg", "H", 2, "2Sigma+"), _hetero("AlH", "Al", "H", 1, "1Sigma+"),
    _hetero("SiH", "Si", "H", 2, "2Pi"), _hetero("PH", "P", "H", 3, "3Sigma-"),
    _hetero("SH", "S", "H", 2, "2Pi"), _hetero("HCl", "H", "Cl", 1, "1Sigma+"),
    _hetero("HBr", "H", "Br", 1, "1Sigma+"), _hetero("HI", "H", "I", 1, "1Sigma+"),
    _hetero("CN", "C", "N", 2, "2Sigma+"), _hetero("CO", "C", "O", 1, "1Sigma+"),
    _hetero("CF", "C", "F", 2, "2Pi"), _hetero("CS", "C", "S", 1, "1Sigma+"),
    _hetero("NO", "N", "O", 2, "2Pi"), _hetero("NF", "N", "F", 3, "3Sigma-"),
    _hetero("NS", "N", "S", 2, "2Pi"), _hetero("PN", "P", "N", 1, "1Sigma+"),
    _hetero("BO", "B", "O", 2, "2Sigma+"), _hetero("BF", "B", "F", 1, "1Sigma+"),
    _hetero("OF", "O", "F", 2, "2Pi"), _hetero("SiO", "Si", "O", 1, "1Sigma+"),
    _hetero("PO", "P", "O", 2, "2Pi"), _hetero("SO", "S", "O", 3, "3Sigma-"),
    _hetero("ClO", "Cl", "O", 2, "2Pi"), _hetero("ClF", "Cl", "F", 1, "1Sigma+"),
    _hetero("LiF", "Li", "F", 1, "1Sigma+"), _hetero("LiCl", "Li", "Cl", 1, "1Sigma+"),
    _hetero("NaF", "Na", "F", 1, "1Sigma+"), _hetero("NaCl", "Na", "Cl", 1, "1Sigma+"),
    _hetero("KF", "K", "F", 1, "1Sigma+"), _hetero("KCl", "K", "Cl", 1, "1Sigma+"),
    _hetero("BrCl", "Br", "Cl", 1, "1Sigma+"), _hetero("ICl", "I", "Cl", 1, "1Sigma+"),
    _hetero("MgO", "Mg", "O", 1, "1Sigma+", (1, 1),
            "dissociates to Mg (1S) + O (1D): no singlet from ground-state O (3P)"),
    _hetero("AlF", "Al", "F", 1, "1Sigma+"),
    _hetero("BeO", "Be", "O", 1, "1Sigma+", (1, 1),
            "dissociates to Be (1S) + O (1D), as MgO: no singlet from ground-state O (3P)"),
    # pairs whose measured constants astray has (reference/constants.csv), WebBook pages
    _hetero("AlCl", "Al", "Cl", 1, "1Sigma+"), _hetero("AlBr", "Al", "Br", 1, "1Sigma+"),
    _hetero("GaCl", "Ga", "Cl", 1, "1Sigma+"), _hetero("CsH", "Cs", "H", 1, "1Sigma+"),
    _hetero("NaK", "Na", "K", 1, "1Sigma+"), _hetero("KBr", "K", "Br", 1, "1Sigma+"),
    _hetero("KI", "K", "I", 1, "1Sigma+"), _hetero("RbBr", "Rb", "Br", 1, "1Sigma+"),
    _hetero("CsI", "Cs", "I", 1, "1Sigma+"),
    _hetero("BiI", "Bi", "I", 3, "0+ (3Sigma- parent)",
            note="Hund's case (c): X 0+ is the Omega = 0 component of a 3Sigma- (as BiF); "
                 "the Omega = 1 component lies about 6190 cm-1 above (Huber & Herzberg)"),
)}


def ground_state(sym_a: str, sym_b: str) -> DimerState | None:
    """The tabulated or rule-placed ground state of the neutral pair, or None where the rule
    cannot place it (an atom beyond the atomic table)."""
    if sym_a == sym_b and sym_a in HOMONUCLEAR:
        return HOMONUCLEAR[sym_a]
    if sym_a != sym_b and frozenset((sym_a, sym_b)) in HETERONUCLEAR:
        return HETERONUCLEAR[frozenset((sym_a, sym_b))]
    spins = [atom_multiplicity(s) for s in (sym_a, sym_b)]
    if None in spins:
        return None
    first, second = sorted((sym_a, sym_b), key=atomic_numbers.__getitem__)
    name = f"{first}2" if first == second else f"{first}{second}"
    multiplicity = abs(spins[0] - spins[1]) + 1  # 2|S_A - S_B| + 1
    return DimerState(name, (first, second), multiplicity, "", RULE, RULE,
                      note="lowest multiplicity the ground-state atoms couple to: "
                           "not a measured ground state")


__all__ = ["ATOM_GROUND_TERMS", "HETERONUCLEAR", "HOMONUCLEAR", "RULE", "DimerState",
           "atom_multiplicity", "ground_state"]
