"""Static material for the demo shops: names, places, carriers and the catalogue."""

from dataclasses import dataclass, field


@dataclass(frozen=True)
class ProductSpec:
    """A product template; `kind` decides its variants (clothing sizes, shoe sizes or none)."""

    code: str
    title_en: str
    title_fr: str
    category: str
    price: str  # tax-inclusive, in the store's currency
    kind: str = "apparel"  # apparel | shoes | single | electronics
    weight_grams: int = 300
    final_sale: bool = False


@dataclass(frozen=True)
class StoreSpec:
    slug: str
    name: str
    currency: str
    country: str
    default_locale: str
    locales: list[str]
    timezone: str
    support_email: str
    language: str  # labels of products and options
    ean_prefix: str  # GS1 country prefix: 30-37 France, 50 United Kingdom
    shipping_fee: str
    free_shipping_from: str
    carriers: list[str]
    first_names: list[str]
    last_names: list[str]
    cities: list[tuple[str, str]]  # (city, postcode)
    streets: list[str]
    phone_prefix: str  # then random digits: see generator._phone
    warehouse: dict = field(default_factory=dict)


FIRST_NAMES_FR = [
    "Camille", "Léa", "Manon", "Chloé", "Inès", "Emma", "Jade", "Louise", "Alice", "Lina",
    "Juliette", "Sarah", "Zoé", "Clara", "Anaïs", "Hugo", "Lucas", "Louis", "Gabriel", "Arthur",
    "Jules", "Nathan", "Théo", "Raphaël", "Paul", "Maxime", "Antoine", "Thomas", "Mathis", "Noé",
]  # fmt: skip
LAST_NAMES_FR = [
    "Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand", "Leroy",
    "Moreau", "Simon", "Laurent", "Lefèvre", "Michel", "Garcia", "David", "Bertrand", "Roux",
    "Vincent", "Fournier", "Morel", "Girard", "André", "Mercier", "Dupont", "Lambert", "Bonnet",
    "François", "Martinez", "Legrand", "Garnier", "Faure", "Rousseau", "Blanc", "Guérin", "Muller",
]  # fmt: skip
FIRST_NAMES_EN = [
    "Olivia", "Amelia", "Isla", "Ava", "Mia", "Grace", "Freya", "Lily", "Sophie", "Emily",
    "Ella", "Poppy", "Charlotte", "Evie", "Ruby", "Oliver", "George", "Harry", "Noah", "Jack",
    "Leo", "Arthur", "Oscar", "Charlie", "Jacob", "Thomas", "Alfie", "William", "James", "Henry",
]  # fmt: skip
LAST_NAMES_EN = [
    "Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Johnson", "Davies", "Patel",
    "Robinson", "Wright", "Thompson", "Evans", "Walker", "White", "Roberts", "Green", "Hall",
    "Wood", "Jackson", "Clarke", "Hughes", "Edwards", "Turner", "Hill", "Moore", "Cooper",
    "Ward", "Morris", "King", "Harris", "Baker", "Lewis", "Khan", "Price", "Bennett",
]  # fmt: skip
CITIES_FR = [
    ("Paris", "75011"), ("Paris", "75015"), ("Paris", "75018"), ("Lyon", "69003"),
    ("Marseille", "13006"), ("Toulouse", "31000"), ("Nantes", "44000"), ("Bordeaux", "33000"),
    ("Lille", "59000"), ("Strasbourg", "67000"), ("Rennes", "35000"), ("Montpellier", "34000"),
    ("Nice", "06000"), ("Grenoble", "38000"), ("Dijon", "21000"), ("Angers", "49000"),
]  # fmt: skip
CITIES_GB = [
    ("London", "SW1A 1AA"), ("London", "E1 6AN"), ("London", "N1 9GU"), ("Manchester", "M1 1AE"),
    ("Birmingham", "B1 1BB"), ("Leeds", "LS1 4DY"), ("Glasgow", "G1 1XQ"), ("Bristol", "BS1 4DJ"),
    ("Edinburgh", "EH1 1YZ"), ("Liverpool", "L1 8JQ"), ("Cardiff", "CF10 1EP"),
    ("Brighton", "BN1 1AE"), ("Cambridge", "CB2 1TN"), ("Oxford", "OX1 2JD"),
]  # fmt: skip
STREETS_FR = [
    "rue de la République", "avenue Jean Jaurès", "rue Victor Hugo", "boulevard Voltaire",
    "rue des Lilas", "place du Marché", "rue Pasteur", "allée des Tilleuls", "rue Nationale",
]  # fmt: skip
STREETS_GB = [
    "High Street", "Station Road", "Church Lane", "Victoria Road", "Green Lane", "Park Avenue",
    "Mill Lane", "Queen Street", "King's Road",
]  # fmt: skip
EMAIL_DOMAINS = ["example.com", "example.org", "example.net"]

SIZES = ["XS", "S", "M", "L", "XL"]
SHOE_SIZES = ["36", "37", "38", "39", "40", "41", "42", "43", "44", "45"]
COLOURS = {
    "BLK": ("Black", "Noir"),
    "WHT": ("White", "Blanc"),
    "NVY": ("Navy", "Marine"),
    "GRN": ("Sage green", "Vert sauge"),
    "TER": ("Terracotta", "Terracotta"),
    "GRY": ("Heather grey", "Gris chiné"),
}

PRODUCTS = [
    ProductSpec("TSH", "Organic cotton T-shirt", "T-shirt en coton bio", "apparel/tops", "24.90"),
    ProductSpec("LSL", "Long-sleeve Breton top", "Marinière manches longues", "apparel/tops",
                "39.00"),
    ProductSpec("SHR", "Oxford shirt", "Chemise Oxford", "apparel/tops", "59.00"),
    ProductSpec("KNT", "Merino crew-neck jumper", "Pull col rond en mérinos", "apparel/knitwear",
                "89.00", weight_grams=450),
    ProductSpec("HDY", "Fleece hoodie", "Sweat à capuche molletonné", "apparel/tops", "65.00",
                weight_grams=600),
    ProductSpec("JNS", "Straight-leg jeans", "Jean coupe droite", "apparel/bottoms", "79.00",
                weight_grams=700),
    ProductSpec("CHN", "Slim chinos", "Chino slim", "apparel/bottoms", "69.00", weight_grams=550),
    ProductSpec("DRS", "Linen summer dress", "Robe d'été en lin", "apparel/dresses", "95.00"),
    ProductSpec("JKT", "Waxed cotton jacket", "Veste en coton ciré", "apparel/outerwear",
                "179.00", weight_grams=1200),
    ProductSpec("PFR", "Recycled puffer jacket", "Doudoune recyclée", "apparel/outerwear",
                "149.00", weight_grams=900),
    ProductSpec("SWM", "Swim shorts", "Short de bain", "apparel/swimwear", "35.00",
                final_sale=True),
    ProductSpec("SNK", "Leather low-top trainers", "Baskets basses en cuir", "apparel/shoes",
                "119.00", kind="shoes", weight_grams=1100),
    ProductSpec("BOT", "Chelsea boots", "Bottines Chelsea", "apparel/shoes", "159.00",
                kind="shoes", weight_grams=1400),
    ProductSpec("SND", "Leather sandals", "Sandales en cuir", "apparel/shoes", "69.00",
                kind="shoes", weight_grams=600),
    ProductSpec("TOT", "Canvas tote bag", "Sac cabas en toile", "accessories/bags", "29.00",
                kind="single", weight_grams=350),
    ProductSpec("SCF", "Wool scarf", "Écharpe en laine", "accessories/scarves", "45.00",
                kind="single", weight_grams=200),
    ProductSpec("BLT", "Leather belt", "Ceinture en cuir", "accessories/belts", "39.00",
                kind="single", weight_grams=250),
    ProductSpec("EAR", "Wireless earbuds", "Écouteurs sans fil", "electronics/audio", "129.00",
                kind="electronics", weight_grams=150),
    ProductSpec("HPH", "Noise-cancelling headphones", "Casque à réduction de bruit",
                "electronics/audio", "249.00", kind="electronics", weight_grams=450),
    ProductSpec("SPK", "Portable speaker", "Enceinte portable", "electronics/audio", "79.00",
                kind="electronics", weight_grams=600),
    ProductSpec("WTC", "Fitness watch", "Montre connectée sport", "electronics/wearables",
                "199.00", kind="electronics", weight_grams=120),
    ProductSpec("PWB", "10,000 mAh power bank", "Batterie externe 10 000 mAh",
                "electronics/phone-accessories", "39.90", kind="electronics", weight_grams=250),
    ProductSpec("CBL", "Braided USB-C cable", "Câble USB-C tressé",
                "electronics/phone-accessories", "14.90", kind="electronics", weight_grams=60),
    ProductSpec("CSE", "Recycled phone case", "Coque de téléphone recyclée",
                "electronics/phone-accessories", "24.90", kind="electronics", weight_grams=50,
                final_sale=True),
]  # fmt: skip

STORES = {
    "demo-fr": StoreSpec(
        slug="demo-fr",
        name="Maison Demo",
        currency="EUR",
        country="FR",
        default_locale="fr",
        locales=["fr", "en"],
        timezone="Europe/Paris",
        support_email="service-client@demo.test",
        language="fr",
        ean_prefix="37",
        shipping_fee="4.90",
        free_shipping_from="60.00",
        carriers=["Colissimo", "Chronopost", "Mondial Relay"],
        first_names=FIRST_NAMES_FR,
        last_names=LAST_NAMES_FR,
        cities=CITIES_FR,
        streets=STREETS_FR,
        phone_prefix="+33 6",
        warehouse={
            "code": "paris-nord",
            "name": "Entrepôt Paris Nord",
            "address": {
                "line1": "12 rue des Entrepôts",
                "city": "Gonesse",
                "postcode": "95500",
                "country": "FR",
            },
        },
    ),
    "demo-en": StoreSpec(
        slug="demo-en",
        name="Demo Outfitters",
        currency="GBP",
        country="GB",
        default_locale="en",
        locales=["en"],
        timezone="Europe/London",
        support_email="help@demo.test",
        language="en",
        ean_prefix="50",
        shipping_fee="3.99",
        free_shipping_from="50.00",
        carriers=["Royal Mail", "DPD", "Evri"],
        first_names=FIRST_NAMES_EN,
        last_names=LAST_NAMES_EN,
        cities=CITIES_GB,
        streets=STREETS_GB,
        # 07700 900xxx is Ofcom's range reserved for fiction: never a real subscriber.
        phone_prefix="+44 7700 900",
        warehouse={
            "code": "midlands",
            "name": "Midlands Fulfilment Centre",
            "address": {
                "line1": "Unit 4, Meridian Park",
                "city": "Coventry",
                "postcode": "CV3 4FJ",
                "country": "GB",
            },
        },
    ),
}
