"""The default reason catalogue installed in every new store (the store can edit its own copy).

(code, English label, French label, merchant's fault, comment required, photo required, children)
"""

DEFAULT_REASONS = [
    (
        "size",
        "Size or fit",
        "Taille ou coupe",
        False,
        False,
        False,
        [
            ("too_small", "Too small", "Trop petit"),
            ("too_large", "Too large", "Trop grand"),
        ],
    ),
    (
        "not_as_described",
        "Not as described",
        "Non conforme à la description",
        True,
        True,
        False,
        [],
    ),
    ("damaged", "Arrived damaged", "Arrivé endommagé", True, False, True, []),
    ("defective", "Defective", "Défectueux", True, True, True, []),
    ("wrong_item", "Wrong item received", "Mauvais article reçu", True, False, True, []),
    ("changed_mind", "Changed my mind", "J'ai changé d'avis", False, False, False, []),
    ("arrived_late", "Arrived too late", "Arrivé trop tard", False, False, False, []),
    ("found_cheaper", "Found a better price", "Trouvé moins cher", False, False, False, []),
    ("other", "Other", "Autre", False, True, False, []),
]
