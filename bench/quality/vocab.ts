// Word pools for the synthetic dataset: names, places, jobs and things, broad enough that no one phrasing dominates.

/** A comma-separated pool (kept as text so the formatter does not put each word on its own line). */
function list(s: string): readonly string[] {
  return s
    .split(",")
    .map((x) => x.trim())
    .filter((x) => x.length > 0);
}

export const FIRST_NAMES_F = list(`
    Anneliese, Aino, Amara, Anouk, Astrid, Beatriz, Bronwyn, Camille, Carmela, Chiara, Cosima, Dagny,
    Damaris, Delphine, Dorothea, Edda, Eleni, Elif, Farida, Fenna, Giedre, Greta, Hanneke, Ilse,
    Imogen, Ingrid, Isolde, Jovana, Katarina, Kirsi, Leocadia, Liesel, Lucinda, Maelle, Magdalena,
    Malin, Marisol, Mette, Mirela, Nadira, Noemi, Oona, Ottilie, Paloma, Petra, Philippa, Priya,
    Radka, Rosalind, Saoirse, Sigrid, Solveig, Svetlana, Tamsin, Thandiwe, Ulrike, Valentina, Vesna,
    Wilhelmina, Ximena, Yasmin, Yolanda, Zofia, Zuzana, Agnieszka, Brigitta, Consuelo, Esperanza,
    Henrike, Lavinia
`);

export const FIRST_NAMES_M = list(`
    Aurelio, Ayodele, Bartosz, Bjorn, Caetano, Callum, Casimir, Darius, Dmitri, Eamon, Eero, Emeka,
    Evander, Fabrizio, Florian, Gaspard, Gideon, Hamish, Horatio, Ignacio, Ilario, Jarek, Joaquin,
    Kasimir, Kwame, Leander, Lorcan, Lucius, Mateus, Maximilian, Mikkel, Nikolai, Oisin, Orlando,
    Osvaldo, Pascal, Piotr, Quentin, Radomir, Rafferty, Reinhold, Rodrigo, Sebastiaan, Severin,
    Soren, Stanislav, Tadeo, Thaddeus, Tobias, Ugo, Valentin, Wendell, Wojciech, Xavier, Yannick,
    Yusuf, Zoltan, Alasdair, Benedikt, Cornelius, Desmond, Erasmus, Ferdinand, Gustavo, Hendrik, Ivo,
    Jasper, Lennart, Matthias, Percival
`);

export const SURNAMES = list(`
    Okonkwo, Lindqvist, Haverkamp, Moreau, Castellanos, Nakashima, Brennan, Kowalczyk, Achterberg,
    Varga, Delacroix, Abernathy, Szabo, Rautio, Mbeki, Quintero, Fairweather, Ostrowski, Vidal,
    Halvorsen, Pemberton, Yilmaz, Ferreira, Drummond, Takahashi, Novak, Bergstrom, Oyelaran,
    Marchetti, Villanueva, Kristiansen, Aldridge, Petrovic, Holloway, Saarinen, Gallagher
`);

export const CITIES = list(`
    Porto, Lyon, Ghent, Tromso, Valparaiso, Cluj, Trieste, Krakow, Bergen, Leipzig, Aarhus, Bilbao,
    Graz, Utrecht, Tallinn, Oaxaca, Hobart, Halifax, Dunedin, Kyoto, Sapporo, Busan, Izmir, Split,
    Ljubljana, Brno, Tampere, Galway, Nantes, Bordeaux, Seville, Malaga, Bologna, Verona, Salzburg,
    Lucerne, Basel, Bruges, Rotterdam, Gdansk, Vilnius, Riga, Plovdiv, Thessaloniki, Marrakesh,
    Accra, Nairobi, Pune, Mysore, Hanoi, Cebu, Adelaide, Wellington, Asheville, Savannah, Tucson,
    Pittsburgh, Winnipeg, Cordoba, Cusco
`);

export const COUNTRIES = list(`
    Portugal, Japan, Iceland, Vietnam, Morocco, Chile, Norway, Georgia, Slovenia, Peru, Canada,
    Scotland, Croatia, Sri Lanka, New Zealand, Mexico, Greece, Estonia, Kenya, Colombia
`);

export const COMPANIES = list(`
    Brightwater Analytics, Kestrel Logistics, Norrland Foods, Quillfeather Press, Halcyon Robotics,
    Marisco Shipping, Tessellate Studio, Orchard Lane Clinic, Vantablue Energy, Copperleaf Insurance,
    Fjordline Software, Pinegrove Architects, Sablewood Games, Lumen Pharmacy, Driftwood Consulting,
    Ironbark Engineering, Solstice Bank, Greenhollow School, Cartwheel Media, Westmarch Hospital,
    Bluefin Labs, Starling Airlines, Mapletree Legal, Rivermint Bakery, Northwind Telecom
`);

export const JOBS = list(`
    physiotherapist, structural engineer, data analyst, primary school teacher, pharmacist,
    UX designer, air traffic controller, veterinary nurse, tax accountant, backend developer,
    sous chef, radiographer, urban planner, patent attorney, museum curator, sound engineer, midwife,
    translator, quantity surveyor, marine biologist, paramedic, landscape architect, bookbinder,
    court stenographer, hydrologist
`);

export const CODENAMES = list(`
    Kittiwake, Marzipan, Obsidian, Tamarind, Halyard, Quokka, Saltmarsh, Zephyrine, Bramblewood,
    Cormorant, Driftglass, Everglow, Firecrest, Gossamer, Hornbeam, Ironclad, Juniperline, Kelpie,
    Lodestar, Moonraker, Nightjar, Oxbow, Pennywort, Quicksilver, Redstart, Sandpiper, Thistledown
`);

export const PET_NAMES = list(`
    Biscuit, Pepper, Mochi, Juniper, Waffles, Ziggy, Nutmeg, Pickles, Olive, Tofu, Bramble,
    Pistachio, Clementine, Gizmo, Marmalade, Noodle, Pretzel, Sprocket, Truffle, Wasabi, Basil,
    Cinnamon, Dumpling, Fennel, Hazel, Indigo, Kiwi, Miso, Nacho, Paprika, Quincy, Rascal, Saffron,
    Udon, Yuzu, Zucchini, Crumpet, Bagel, Chutney, Gnocchi
`);

export const DOG_BREEDS = list(`
    beagle, border collie, dachshund, labrador, whippet, corgi, greyhound, poodle, vizsla, shiba inu,
    springer spaniel, schnauzer, basset hound, dalmatian, samoyed
`);
export const CAT_BREEDS = list(`
    ginger tabby, Siamese, Maine Coon, British Shorthair, Ragdoll, Bengal, black shorthair,
    Norwegian Forest cat, Sphynx, tortoiseshell
`);

export const ALLERGENS_FOOD = list(`
    peanuts, shellfish, sesame, hazelnuts, kiwi fruit, celery, lupin
`);
export const ALLERGENS_DRUG = list(`
    penicillin, ibuprofen, sulfa drugs, codeine, amoxicillin
`);

export const MEDICATIONS: readonly { drug: string; dose: string; condition: string }[] = [
  { drug: "levothyroxine", dose: "50 mcg", condition: "thyroid" },
  { drug: "sertraline", dose: "100 mg", condition: "anxiety" },
  { drug: "metformin", dose: "500 mg", condition: "blood sugar" },
  { drug: "lisinopril", dose: "10 mg", condition: "blood pressure" },
  { drug: "atorvastatin", dose: "20 mg", condition: "cholesterol" },
  { drug: "cetirizine", dose: "10 mg", condition: "hay fever" },
  { drug: "omeprazole", dose: "20 mg", condition: "acid reflux" },
  { drug: "propranolol", dose: "40 mg", condition: "migraines" },
];

export const INSTRUMENTS = list(`
    cello, trombone, bass guitar, accordion, violin, clarinet, drums, banjo
`);
export const LANGUAGES = list(`
    Portuguese, Japanese, Finnish, Welsh, Swahili, Korean, Icelandic, Turkish
`);
export const AUTHORS = list(`
    Ursula K. Le Guin, Kazuo Ishiguro, Olga Tokarczuk, Terry Pratchett, Chimamanda Ngozi Adichie,
    Haruki Murakami, Elena Ferrante, Italo Calvino, Octavia Butler, Jon Fosse, Tove Jansson,
    Orhan Pamuk, Hilary Mantel, Wislawa Szymborska, Ted Chiang
`);
export const TEAMS = list(`
    Feyenoord, Celtic, Athletic Bilbao, Sturm Graz, Boca Juniors, Sampdoria, Hibernian, Galatasaray,
    Dinamo Zagreb, Rosenborg, Anderlecht, Union Berlin
`);
export const HOTELS = list(`
    Casa Amarela, Hotel Nordlys, The Gull and Anchor, Pension Weiss, Albergo Ruscello, Hotel Mirador,
    Riad Zitoun, The Lantern Inn, Hostal Candela, Hotel Vrba, Villa Oleandro, The Copper Kettle
`);
export const AIRLINES = list(`
    TP, LX, KL, AZ, SK, OS, IB, EI, LO, AY, BA, TK
`);
export const INSURERS = list(`
    Copperleaf, Harborside Mutual, Greystone Assurance, Alder and Finch, Northstar Cover
`);
export const CAR_MODELS = list(`
    Skoda Octavia, Volvo V60, Toyota Yaris, Renault Zoe, Fiat Panda, Kia Niro, Mazda 3,
    Subaru Outback
`);
export const COLORS = list(`
    blue, grey, red, white, green, silver, black, yellow
`);
export const PLATFORMS = list(`
    Instagram, Facebook, TikTok, Twitter, Snapchat
`);
export const NEIGHBOURHOODS = list(`
    Kreuzberg, Vesterbro, Jordaan, Gracia, Trastevere, Ostend, Sodermalm, Kallio, Ruzafa, Zizkov,
    Belleville, Alfama, Neukolln, Nordstaden, Mitte
`);
export const GYMS = list(`
    Granite Wall, Boulderhaus, The Crag, Chalk Lab, Overhang
`);
export const SCHOOLS = list(`
    Willowbrook Primary, St Aidan's, Riverside Montessori, Hillcrest Elementary, Larkfield School,
    Oakmere Academy, Brookside Primary
`);
export const KID_ACTIVITIES = list(`
    swimming, judo, football, ballet, fencing, chess club, gymnastics
`);
export const WEEKDAYS = list(`
    Monday, Tuesday, Wednesday, Thursday, Friday, Saturday, Sunday
`);
export const TEAS = list(`
    rooibos, chamomile, sencha, oolong, peppermint tea, lapsang souchong
`);
export const COFFEES = list(`
    oat flat white, double macchiato, cortado, iced americano with a splash of milk,
    decaf cappuccino
`);
export const DOCTORS = list(`
    Dr Okafor, Dr Lindgren, Dr Castellano, Dr Whitcombe, Dr Anand, Dr Heikkinen
`);

/** Everyday notes that answer no question: the noise every real memory store holds. */
export const FILMS = list(`
    Paddington 2, Past Lives, Arrival, Spirited Away, The Lobster, Amelie, Heat, Roma
`);
export const DISHES = list(`
    shakshuka, mushroom risotto, dal makhani, pad see ew, bigos, paella, pierogi
`);
export const SHOPS = list(`
    the hardware store, the Saturday market, the corner bakery, the garden centre
`);
export const SUBJECTS = list(`
    Roman aqueducts, urban beekeeping, the history of maps, deep sea vents, medieval guilds,
    sourdough chemistry, bird migration, Byzantine coins
`);
