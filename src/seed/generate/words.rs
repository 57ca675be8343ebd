//! The words generated records are made of: names of people as they are spelled at KI and KUH
//! (mostly Swedish, many from elsewhere, with their diacritics and particles), and the terms of
//! cell and gene therapy that units, rooms, products and trials are named and described with.
//! A weight is how often a name is drawn against the others of its list.

use entities::enums::{AccreditationScheme, AppointmentRole};

/// Given names, each one word (double names hyphenated, as Swedes write them).
pub(super) const GIVEN_NAMES: &[(&str, u32)] = &[
    ("Anna", 30),
    ("Eva", 22),
    ("Maria", 22),
    ("Karin", 20),
    ("Kristina", 14),
    ("Lena", 14),
    ("Sara", 16),
    ("Emma", 14),
    ("Elin", 12),
    ("Ingrid", 10),
    ("Åsa", 12),
    ("Märta", 4),
    ("Linnéa", 8),
    ("Maja", 8),
    ("Sofia", 12),
    ("Annika", 10),
    ("Ulla", 6),
    ("Birgitta", 8),
    ("Anna-Karin", 6),
    ("Eva-Lena", 4),
    ("Erik", 26),
    ("Lars", 22),
    ("Karl", 16),
    ("Anders", 22),
    ("Johan", 20),
    ("Per", 16),
    ("Mikael", 16),
    ("Magnus", 12),
    ("Björn", 10),
    ("Göran", 8),
    ("Örjan", 4),
    ("Håkan", 8),
    ("Sören", 4),
    ("Per-Olof", 4),
    ("Jonas", 12),
    ("Olof", 8),
    ("Gustaf", 6),
    ("Søren", 3),
    ("Bjørn", 3),
    ("Ægir", 1),
    ("Guðrún", 2),
    ("Þórunn", 1),
    ("Sigríður", 1),
    ("Päivi", 3),
    ("Jyrki", 2),
    ("Jürgen", 3),
    ("Jörg", 2),
    ("Lukas", 4),
    ("Käthe", 1),
    ("Łukasz", 4),
    ("Małgorzata", 3),
    ("Wojciech", 2),
    ("Zofia", 3),
    ("José", 4),
    ("María", 3),
    ("Íñigo", 1),
    ("Begoña", 1),
    ("Zoë", 3),
    ("Hélène", 3),
    ("François", 2),
    ("Chloé", 3),
    ("Anaïs", 2),
    ("Ayşe", 3),
    ("Tuğba", 2),
    ("Jiří", 2),
    ("Tomáš", 2),
    ("Zoltán", 2),
    ("Ágnes", 2),
    ("João", 2),
    ("Conceição", 1),
    ("Eleni", 2),
    ("Wei", 4),
    ("Xiaoming", 2),
    ("Priya", 3),
    ("Arjun", 3),
    ("Reza", 3),
    ("Fatima", 4),
    ("Omar", 4),
    ("Thi", 1),
    ("Aoife", 1),
    ("Siobhán", 1),
];

/// Family names. Most are Swedish; `Ødegaard` is drawn about once in a thousand, so that a
/// search for it (`bench/queries/search-people.graphql`) finds about a hundred people in 100 000.
pub(super) const FAMILY_NAMES: &[(&str, u32)] = &[
    ("Andersson", 68),
    ("Johansson", 68),
    ("Karlsson", 64),
    ("Nilsson", 60),
    ("Eriksson", 60),
    ("Larsson", 55),
    ("Olsson", 50),
    ("Persson", 50),
    ("Svensson", 46),
    ("Gustafsson", 42),
    ("Pettersson", 42),
    ("Jonsson", 37),
    ("Lindberg", 12),
    ("Lindqvist", 12),
    ("Bergström", 12),
    ("Sjögren", 10),
    ("Åberg", 8),
    ("Öberg", 8),
    ("Ström", 8),
    ("Hägglund", 6),
    ("Sandström", 8),
    ("Söderberg", 8),
    ("Lindén", 6),
    ("Ekström", 8),
    ("Åkesson", 6),
    ("Bäckström", 6),
    ("Sällberg", 4),
    ("Wahlgren", 6),
    ("Hedlund", 8),
    ("Forsberg", 10),
    ("Engström", 8),
    ("Lundgren", 10),
    ("Holmgren", 8),
    ("Nyström", 8),
    ("Dahlén", 4),
    ("af Klint", 2),
    ("von Essen", 2),
    ("De Geer", 1),
    ("Sørensen", 6),
    ("Jørgensen", 5),
    ("Kjærgaard", 3),
    ("Ødegaard", 1),
    ("Kristjánsdóttir", 2),
    ("Guðmundsson", 2),
    ("Mäkinen", 5),
    ("Häkkinen", 4),
    ("Virtanen", 5),
    ("Müller", 8),
    ("Schäfer", 4),
    ("Weiß", 4),
    ("Groß", 3),
    ("Köhler", 4),
    ("Böhm", 3),
    ("Wójcik", 4),
    ("Kowalczyk", 4),
    ("Łukaszewski", 2),
    ("Żak", 2),
    ("Núñez", 4),
    ("Muñoz", 4),
    ("Peña", 3),
    ("Ibáñez", 2),
    ("de la Cruz", 2),
    ("Lefèvre", 3),
    ("Dubois", 4),
    ("Bélanger", 2),
    ("Çelik", 4),
    ("Yılmaz", 5),
    ("Şahin", 3),
    ("Dvořák", 2),
    ("Novák", 3),
    ("Szabó", 3),
    ("Tóth", 2),
    ("Erdős", 1),
    ("Gonçalves", 3),
    ("Papadopoulos", 3),
    ("Wang", 6),
    ("Li", 6),
    ("Zhang", 5),
    ("Nguyễn", 4),
    ("Patel", 5),
    ("Sharma", 4),
    ("Hosseini", 4),
    ("Al-Khalil", 3),
    ("O'Brien", 2),
    ("Ní Bhriain", 1),
];

/// Scientists and benefactors units are named after.
pub(super) const EPONYMS: &[&str] = &[
    "Berzelius",
    "Scheele",
    "Retzius",
    "Ångström",
    "Celsius",
    "Hammarsten",
    "Theorell",
    "Euler",
    "Bergström",
    "Samuelsson",
    "Klein",
    "Söderberg",
    "Hällström",
    "Wallenberg",
    "Åkerlund",
    "Möller",
];

/// What a unit works on, as it reads inside a sentence.
pub(super) const TOPICS: &[&str] = &[
    "cell therapy",
    "gene therapy",
    "haematology",
    "immunotherapy",
    "regenerative medicine",
    "transplantation immunology",
    "viral vector production",
    "tissue engineering",
    "clinical immunology",
    "paediatric oncology",
    "stem cell biology",
    "transfusion medicine",
    "CAR-T manufacturing",
    "islet transplantation",
    "cartilage repair",
    "corneal regeneration",
    "NK cell therapy",
    "mesenchymal stromal cells",
    "gene editing",
    "rare diseases",
    "neuroregeneration",
];

/// KI's departments.
pub(super) const KI_DEPARTMENTS: &[&str] = &[
    "Department of Laboratory Medicine",
    "Department of Medicine, Huddinge",
    "Department of Medicine, Solna",
    "Department of Clinical Neuroscience",
    "Department of Oncology-Pathology",
    "Department of Women's and Children's Health",
    "Department of Microbiology, Tumor and Cell Biology",
    "Department of Physiology and Pharmacology",
    "Department of Dental Medicine",
    "Department of Medical Biochemistry and Biophysics",
    "Department of Clinical Science, Intervention and Technology",
    "Department of Cell and Molecular Biology",
];

/// KUH's departments, some as the hospital writes them in Swedish.
pub(super) const KUH_DEPARTMENTS: &[&str] = &[
    "Department of Clinical Chemistry",
    "Department of Clinical Immunology and Transfusion Medicine",
    "Department of Clinical Pharmacology",
    "Department of Pathology and Cancer Diagnostics",
    "Funktionsområde Klinisk mikrobiologi",
    "Funktionsområde Bild och funktion",
];

/// Clinical units.
pub(super) const CLINICS: &[&str] = &[
    "Medicinsk enhet Hematologi",
    "Medicinsk enhet Transfusionsmedicin",
    "Patientområde Blod och Barncancer",
    "Patientområde Endokrinologi",
    "Clinical Trial Unit",
    "Clinic for Cellular Therapy",
    "Ward for Allogeneic Stem Cell Transplantation",
];

/// KI's academic areas.
pub(super) const KI_AREAS: &[&str] = &[
    "KI North",
    "KI South",
    "Research Area Cancer",
    "Research Area Regenerative Medicine",
    "Forskningsområde Cell- och genterapi",
];

/// KUH's themes, the layer above its clinical units.
pub(super) const KUH_AREAS: &[&str] = &[
    "Tema Cancer",
    "Tema Barn och Kvinnors hälsa",
    "Tema Inflammation och Infektion",
    "Tema Hjärta och Kärl",
];

/// Campus and city of KI's units.
pub(super) const KI_CAMPUSES: &[(&str, &str)] = &[
    ("Campus Solna", "Solna"),
    ("Campus Flemingsberg", "Huddinge"),
    ("BioClinicum", "Solna"),
    ("Biomedicum", "Solna"),
    ("Neo", "Huddinge"),
];

/// Campus and city of KUH's units.
pub(super) const KUH_CAMPUSES: &[(&str, &str)] = &[
    ("Huddinge", "Huddinge"),
    ("Solna", "Solna"),
    ("Karolinska Huddinge", "Huddinge"),
    ("Karolinska Solna", "Solna"),
    ("Södra Station", "Stockholm"),
];

/// What a cleanroom is called.
pub(super) const ROOM_NAMES: &[&str] = &[
    "Cell processing room",
    "Aseptic processing suite",
    "Viral vector suite",
    "Personnel airlock",
    "Material airlock",
    "Gowning room",
    "Cryostorage room",
    "QC laboratory",
    "Personalsluss",
    "Materialsluss",
    "Omklädningsrum",
    "Renrum",
    "Tillverkningsrum för cellprodukter",
];

/// What a cleanroom is used for.
pub(super) const INTENDED_USES: &[&str] = &[
    "Aseptic manufacture of autologous CAR-T cells",
    "Production of AAV and lentiviral vectors",
    "Expansion of mesenchymal stromal cells",
    "Cryopreservation and storage of cell products",
    "Gowning before entry to the grade B rooms",
    "Transfer of materials into the clean area",
    "Process development before transfer to GMP",
    "Processing of tissue for transplantation",
    "Fill and finish of cell suspensions",
    "Quality control: sterility, endotoxin and mycoplasma testing",
    "Beredning av stamcellsprodukter för transplantation",
];

/// Sentences descriptions are made of; each stands alone, so any selection reads.
pub(super) const SENTENCES: &[&str] = &[
    "It supports investigator-initiated trials from both Karolinska Institutet and Karolinska University Hospital.",
    "Its cleanrooms are qualified under EU GMP Annex 1 and monitored continuously for particles, pressure cascades and microbial contamination.",
    "Patients are referred from Region Stockholm, Region Uppsala and Region Västerbotten.",
    "Processes are moved from the research laboratory to production in close dialogue with Läkemedelsverket, the Swedish Medical Products Agency.",
    "Staff include biomedical scientists, research nurses, QA/QC specialists and physicians.",
    "Genetically modified organisms are handled under a contained-use permit from Arbetsmiljöverket.",
    "It collaborates with Sahlgrenska Universitetssjukhuset, Skånes universitetssjukhus and Akademiska sjukhuset on shared protocols.",
    "Training in aseptic technique is given twice a year, with media fills for every operator.",
    "Cell products are released by a Qualified Person after review of the batch record.",
    "The unit takes part in Nordic networks for advanced therapies, among them NordicTrialAlliance and the Nordic Network for ATMP.",
    "Kvalitetssystemet följer GMP och vävnadslagen (2008:286).",
    "Samples are stored in the biobank at −150 °C in the vapour phase of liquid nitrogen.",
];

/// What products of each ATMP class are.
pub(super) const GENE_THERAPIES: &[&str] = &[
    "autologous anti-CD19 CAR-T cells",
    "BCMA-directed CAR-T cells",
    "AAV9 vector for spinal muscular atrophy",
    "lentiviral gene therapy for Wiskott–Aldrich syndrome",
    "γδ T cells transduced with a GD2 CAR",
];

pub(super) const SOMATIC_CELL_THERAPIES: &[&str] = &[
    "allogeneic mesenchymal stromal cells",
    "IFN-γ-primed MSCs for graft-versus-host disease",
    "virus-specific T cells",
    "NK cells expanded ex vivo",
    "regulatory T cells for type 1 diabetes",
    "tumour-infiltrating lymphocytes",
];

pub(super) const TISSUE_ENGINEERED: &[&str] = &[
    "tissue-engineered trachea",
    "cultured epidermal autografts",
    "decellularised vein graft",
    "limbal stem cell sheet for corneal repair",
    "chondrocyte implant for cartilage repair",
];

pub(super) const COMBINED: &[&str] = &[
    "islets encapsulated in an alginate device",
    "MSCs on a collagen scaffold",
    "bone substitute seeded with osteoprogenitor cells",
];

/// Prefixes of product codes.
pub(super) const PRODUCT_CODES: &[&str] = &["KI", "KS", "ATMP", "KCT", "CT", "GT", "TE", "MSC"];

/// What trials treat.
pub(super) const CONDITIONS: &[&str] = &[
    "relapsed B-cell lymphoma",
    "acute lymphoblastic leukaemia in children",
    "multiple myeloma",
    "graft-versus-host disease after allogeneic stem cell transplantation",
    "type 1 diabetes",
    "Crohn's disease",
    "Sjögren's syndrome",
    "Parkinson's disease",
    "amyotrophic lateral sclerosis",
    "epidermolysis bullosa",
    "limbal stem cell deficiency",
    "knee cartilage defects",
    "Guillain–Barré syndrome",
    "Ménière's disease",
    "glioblastoma",
    "neuroblastoma",
];

/// Areas of responsibility of an appointment.
pub(super) const RESPONSIBILITIES: &[&str] = &[
    "Quality assurance",
    "Quality control",
    "Production",
    "Process development",
    "Regulatory affairs",
    "Clinical trials",
    "Education",
    "Patientsäkerhet och kvalitet",
    "Cell therapy – manufacturing",
    "Gene therapy – vector production",
];

/// Titles an appointment of each role may carry, some as written in Swedish.
pub(super) fn titles(role: AppointmentRole) -> &'static [&'static str] {
    match role {
        AppointmentRole::Head => &[
            "Head of unit",
            "Verksamhetschef",
            "Enhetschef",
            "Head of facility",
            "Chair",
        ],
        AppointmentRole::Director => &["Director", "Centre director", "Föreståndare"],
        AppointmentRole::ActingDirector => &["Acting director", "Tillförordnad föreståndare"],
        AppointmentRole::ActingChiefExecutive => {
            &["Acting chief executive", "Tillförordnad sjukhusdirektör"]
        }
        AppointmentRole::VicePresident => &["Vice president", "Prorektor"],
        AppointmentRole::Dean => &["Dean of research", "Dean of doctoral education", "Dekan"],
        AppointmentRole::Member => &[
            "Member",
            "Research nurse",
            "Biomedical scientist",
            "Postdoctoral researcher",
            "Doctoral student",
            "Forskningssjuksköterska",
            "Biomedicinsk analytiker",
        ],
        AppointmentRole::Coordinator => &["ATMP coordinator", "Study coordinator", "Samordnare"],
        AppointmentRole::OperationsManager => {
            &["Operations manager", "Production manager", "Driftchef"]
        }
        AppointmentRole::Deputy => &[
            "Deputy head",
            "Deputy director",
            "Biträdande verksamhetschef",
        ],
        AppointmentRole::Faculty => &[
            "Professor of cell therapy",
            "Associate professor",
            "Senior lecturer",
            "Senior consultant",
            "Adjungerad professor",
        ],
        AppointmentRole::ContentReviewer => &["Content reviewer", "Web editor"],
    }
}

/// The body that grants an accreditation of each scheme.
pub(super) fn authority(scheme: AccreditationScheme) -> &'static str {
    match scheme {
        AccreditationScheme::Jacie => "JACIE (Joint Accreditation Committee ISCT-Europe & EBMT)",
        AccreditationScheme::GmpManufacturingAuthorisation => {
            "Läkemedelsverket (Swedish Medical Products Agency)"
        }
        AccreditationScheme::TissueEstablishmentPermit => "Inspektionen för vård och omsorg (IVO)",
        AccreditationScheme::GmoContainedUse => {
            "Arbetsmiljöverket (Swedish Work Environment Authority)"
        }
    }
}

/// What an accreditation of each scheme is called in a sentence.
pub(super) fn scheme_name(scheme: AccreditationScheme) -> &'static str {
    match scheme {
        AccreditationScheme::Jacie => "JACIE accreditation",
        AccreditationScheme::GmpManufacturingAuthorisation => "a manufacturing authorisation",
        AccreditationScheme::TissueEstablishmentPermit => "a tissue establishment permit",
        AccreditationScheme::GmoContainedUse => "a permit for contained use of GMOs",
    }
}
