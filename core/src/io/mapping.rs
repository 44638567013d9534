//! First guesses for which CSV column goes into which Kith field, from the column names that
//! HubSpot, Salesforce, Pipedrive, Google Contacts and Outlook put in their exports. The user
//! confirms or changes every guess; a good guess means most imports need no changes at all.

use serde::{Deserialize, Serialize};

/// What kind of record an import creates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ImportTarget {
    People,
    Companies,
    Deals,
}

/// A place a column's values can go. `Email`, `Phone`, their label columns and `Tags` take
/// any number of columns; every other field takes at most one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum TargetField {
    /// The record's name: a person's full name, a company's or a deal's name.
    Name,
    FirstName,
    LastName,
    Email,
    /// The label ("work", "home") of the email column it is paired with (Google's
    /// "E-mail 1 - Type" next to "E-mail 1 - Value"); see [`channel_labels`].
    EmailLabel,
    Phone,
    PhoneLabel,
    JobTitle,
    /// The company a person works at or a deal is with, by name (linked or created).
    CompanyName,
    Street,
    City,
    Region,
    Postcode,
    Country,
    Tags,
    Owner,
    LifecycleStage,
    Source,
    Notes,
    /// The record's id in the system it comes from, for matching on a later import.
    RecordId,
    /// A web domain; a URL is reduced to its domain.
    Domain,
    Industry,
    Size,
    Amount,
    Currency,
    Pipeline,
    DealStage,
    Probability,
    CloseDate,
    /// The email of a deal's contact person, to link the deal to them.
    ContactEmail,
    LostReason,
    /// Open, won or lost.
    Status,
}

impl TargetField {
    /// What the mapping screen shows.
    pub fn label(self) -> &'static str {
        use TargetField::*;
        match self {
            Name => "Name",
            FirstName => "First name",
            LastName => "Last name",
            Email => "Email",
            EmailLabel => "Email label",
            Phone => "Phone",
            PhoneLabel => "Phone label",
            JobTitle => "Job title",
            CompanyName => "Company name",
            Street => "Street",
            City => "City",
            Region => "Region / state",
            Postcode => "Postcode / ZIP",
            Country => "Country",
            Tags => "Tags",
            Owner => "Owner",
            LifecycleStage => "Lifecycle stage",
            Source => "Source",
            Notes => "Notes",
            RecordId => "Record id",
            Domain => "Domain / website",
            Industry => "Industry",
            Size => "Size / employees",
            Amount => "Amount",
            Currency => "Currency",
            Pipeline => "Pipeline",
            DealStage => "Stage",
            Probability => "Probability",
            CloseDate => "Expected close date",
            ContactEmail => "Contact email",
            LostReason => "Lost reason",
            Status => "Status (open, won, lost)",
        }
    }

    /// Whether several columns may map to this field (their values are all kept).
    pub fn is_multi(self) -> bool {
        use TargetField::*;
        matches!(self, Email | EmailLabel | Phone | PhoneLabel | Tags)
    }

    /// The fields the mapping screen offers for a target, in the order it lists them.
    pub fn for_target(target: ImportTarget) -> &'static [TargetField] {
        use TargetField::*;
        match target {
            ImportTarget::People => &[
                Name,
                FirstName,
                LastName,
                Email,
                EmailLabel,
                Phone,
                PhoneLabel,
                JobTitle,
                CompanyName,
                Street,
                City,
                Region,
                Postcode,
                Country,
                Tags,
                Owner,
                LifecycleStage,
                Source,
                Notes,
                RecordId,
            ],
            ImportTarget::Companies => &[
                Name,
                Domain,
                Industry,
                Size,
                Phone,
                PhoneLabel,
                Street,
                City,
                Region,
                Postcode,
                Country,
                Tags,
                Owner,
                LifecycleStage,
                Source,
                Notes,
                RecordId,
            ],
            ImportTarget::Deals => &[
                Name,
                Amount,
                Currency,
                Pipeline,
                DealStage,
                Probability,
                CloseDate,
                Owner,
                CompanyName,
                ContactEmail,
                LostReason,
                Status,
                Tags,
                Source,
                Notes,
                RecordId,
            ],
        }
    }
}

/// Where the label of an email or phone column comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChannelLabel {
    /// Not an email or phone column, or nothing says which kind.
    None,
    /// The column name says it: "Mobile Phone" → `mobile`, "Person - Email - Work" → `work`.
    Fixed(&'static str),
    /// Each row's label is in this other column (Google's "E-mail 1 - Type").
    Column(usize),
}

/// A column name lower-cased and split into words: camelCase, punctuation and underscores
/// all separate words, and "e-mail" is one word.
pub fn normalise_header(header: &str) -> String {
    words(header).join(" ")
}

fn words(header: &str) -> Vec<String> {
    let mut spaced = String::with_capacity(header.len() + 8);
    let chars: Vec<char> = header.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        let prev = i.checked_sub(1).map(|p| chars[p]);
        let next = chars.get(i + 1);
        let boundary = c.is_uppercase()
            && prev.is_some_and(|p| {
                p.is_lowercase() || (p.is_uppercase() && next.is_some_and(|n| n.is_lowercase()))
            });
        if boundary {
            spaced.push(' ');
        }
        if c.is_alphanumeric() {
            spaced.extend(c.to_lowercase());
        } else {
            spaced.push(' ');
        }
    }
    let mut out: Vec<String> = Vec::new();
    for word in spaced.split_whitespace() {
        if word == "mail" && out.last().is_some_and(|w| w == "e") {
            out.pop();
            out.push("email".into());
        } else {
            out.push(word.to_string());
        }
    }
    out
}

/// Whether a column name is one Kith recognises for any target: evidence that a first row
/// is a header.
pub fn is_known_header(header: &str) -> bool {
    [
        ImportTarget::People,
        ImportTarget::Companies,
        ImportTarget::Deals,
    ]
    .into_iter()
    .any(|target| classify(target, header).is_some())
}

/// One guess per column. Columns that match nothing, and every column after the best match
/// of a single-valued field, get `None`; the best match is the most specific name ("Job
/// Title" beats Outlook's "Title", which is "Mr."/"Ms."), the first one on a tie.
pub fn guess_mapping(target: ImportTarget, headers: &[String]) -> Vec<Option<TargetField>> {
    let mut guesses: Vec<Option<(TargetField, u8)>> =
        headers.iter().map(|h| classify(target, h)).collect();
    // A label column counts only next to its value column.
    for (i, guess) in guesses.iter_mut().enumerate() {
        if let Some((TargetField::EmailLabel | TargetField::PhoneLabel, _)) = guess
            && paired_value_column(headers, i).is_none()
        {
            *guess = None;
        }
    }
    let mut order: Vec<usize> = (0..headers.len()).collect();
    order.sort_by_key(|&i| (std::cmp::Reverse(guesses[i].map_or(0, |g| g.1)), i));
    let mut taken = std::collections::HashSet::new();
    let mut mapping = vec![None; headers.len()];
    for i in order {
        if let Some((field, _)) = guesses[i]
            && (field.is_multi() || taken.insert(field))
        {
            mapping[i] = Some(field);
        }
    }
    mapping
}

/// For each column, where the label of its email or phone values comes from, given the
/// mapping the user settled on.
pub fn channel_labels(headers: &[String], mapping: &[Option<TargetField>]) -> Vec<ChannelLabel> {
    let mut labels = vec![ChannelLabel::None; headers.len()];
    for (i, field) in mapping.iter().enumerate().take(headers.len()) {
        if let Some(TargetField::EmailLabel | TargetField::PhoneLabel) = field
            && let Some(value) = paired_value_column(headers, i)
            && matches!(
                mapping.get(value),
                Some(Some(TargetField::Email | TargetField::Phone))
            )
        {
            labels[value] = ChannelLabel::Column(i);
        }
    }
    for (i, field) in mapping.iter().enumerate().take(headers.len()) {
        if let Some(TargetField::Email | TargetField::Phone) = field
            && labels[i] == ChannelLabel::None
            && let Some(label) = label_from_words(&words(&headers[i]))
        {
            labels[i] = ChannelLabel::Fixed(label);
        }
    }
    labels
}

/// "E-mail 1 - Type" → the column named "E-mail 1 - Value".
fn paired_value_column(headers: &[String], label_column: usize) -> Option<usize> {
    let mut key = words(&headers[label_column]);
    match key.last().map(String::as_str) {
        Some("type" | "label") => *key.last_mut()? = "value".into(),
        _ => return None,
    }
    headers
        .iter()
        .position(|h| words(h) == key)
        .filter(|&i| i != label_column)
}

/// The label a column name implies; the kind of line ("fax") wins over whose it is ("home").
fn label_from_words(words: &[String]) -> Option<&'static str> {
    const LABELS: &[(&[&str], &str)] = &[
        (&["mobile", "cell", "cellular"], "mobile"),
        (&["fax"], "fax"),
        (&["pager"], "pager"),
        (&["work", "business", "office", "company", "direct"], "work"),
        (&["home", "personal", "private"], "home"),
        (&["other"], "other"),
    ];
    LABELS
        .iter()
        .find(|(names, _)| words.iter().any(|w| names.contains(&w.as_str())))
        .map(|(_, label)| *label)
}

const EMAIL_EXTRA: &[&str] = &[
    "address",
    "value",
    "primary",
    "work",
    "home",
    "business",
    "personal",
    "private",
    "other",
    "office",
    "main",
    "secondary",
    "additional",
    "contact",
];
const PHONE_WORDS: &[&str] = &[
    "phone",
    "telephone",
    "tel",
    "mobile",
    "cell",
    "cellular",
    "fax",
    "pager",
];
const PHONE_EXTRA: &[&str] = &[
    "number", "no", "work", "home", "business", "office", "other", "main", "primary", "value",
    "direct", "company", "car", "radio", "personal", "private", "landline", "voice", "contact",
];
const ADDRESS_QUALIFIERS: &[(&str, u8)] = &[
    ("address", 3),
    ("mailing", 3),
    ("business", 3),
    ("billing", 3),
    ("work", 3),
    ("primary", 3),
    ("office", 3),
    ("physical", 3),
    ("home", 2),
    ("other", 2),
    ("shipping", 2),
];

/// The field a column name suggests and how sure that is (3 specific, 2 likely, 1 weak).
fn classify(target: ImportTarget, header: &str) -> Option<(TargetField, u8)> {
    let all = words(header);
    let mut key: Vec<&str> = all
        .iter()
        .map(String::as_str)
        .filter(|w| !w.chars().all(|c| c.is_ascii_digit()))
        .collect();
    // Pipedrive-style "Person - Email", Salesforce's "Account Name", HubSpot's "Contact owner".
    if key.len() > 1 {
        let entity = match key[0] {
            "person" | "contact" => Some(ImportTarget::People),
            "organization" | "organisation" | "org" | "company" | "account" => {
                Some(ImportTarget::Companies)
            }
            "deal" | "opportunity" => Some(ImportTarget::Deals),
            _ => None,
        };
        match (target, entity) {
            (_, None) => {}
            (t, Some(e)) if t == e => {
                key.remove(0);
            }
            (ImportTarget::People | ImportTarget::Deals, Some(ImportTarget::Companies)) => {
                key[0] = "company";
            }
            (ImportTarget::Deals, Some(ImportTarget::People)) => key[0] = "contact",
            _ => return None,
        }
    }
    use ImportTarget::*;
    use TargetField::*;
    if key.contains(&"email") {
        let last = key.last().copied();
        if matches!(last, Some("type" | "label")) && target == People {
            return Some((EmailLabel, 3));
        }
        if key.iter().all(|w| *w == "email" || EMAIL_EXTRA.contains(w)) {
            return match target {
                People => Some((Email, 3)),
                Deals => Some((ContactEmail, 3)),
                Companies => None,
            };
        }
    }
    if key.iter().any(|w| PHONE_WORDS.contains(w)) && target != Deals {
        if matches!(key.last(), Some(&("type" | "label"))) {
            return Some((PhoneLabel, 3));
        }
        if key
            .iter()
            .all(|w| PHONE_WORDS.contains(w) || PHONE_EXTRA.contains(w))
        {
            return Some((Phone, 3));
        }
    }
    let joined = key.join(" ");
    if let Some(found) = synonym(target, &joined) {
        return Some(found);
    }
    if target != Deals {
        return address(&key);
    }
    None
}

fn address(key: &[&str]) -> Option<(TargetField, u8)> {
    use TargetField::*;
    let mut score = 3;
    let mut rest = Vec::new();
    for word in key {
        match ADDRESS_QUALIFIERS.iter().find(|(q, _)| q == word) {
            Some((_, s)) => score = score.min(*s),
            None => rest.push(*word),
        }
    }
    let field = match rest.join(" ").as_str() {
        "" | "street" | "line" | "street line" | "lines" => Street,
        "city" | "town" | "locality" | "city town" => City,
        "state" | "region" | "province" | "state region" | "state province" | "county"
        | "state or province" => Region,
        "postal code" | "postcode" | "post code" | "zip" | "zip code" | "zipcode"
        | "postalcode" | "zip postal code" | "postal" | "postal zip code" => Postcode,
        "country" | "country region" | "country code" | "nation" => Country,
        _ => return None,
    };
    // A bare "Address" column is most likely the street; anything else needs an address word.
    if rest.is_empty() && !key.contains(&"address") {
        return None;
    }
    Some((field, score))
}

fn synonym(target: ImportTarget, key: &str) -> Option<(TargetField, u8)> {
    use ImportTarget::*;
    use TargetField::*;
    let shared = match key {
        "owner" | "owner name" | "record owner" | "assigned to" | "sales rep" | "hubspot owner"
        | "hub spot owner" | "owner email" => Some((Owner, 3)),
        "tags" | "tag" | "labels" | "categories" | "category" | "group membership" | "groups" => {
            Some((Tags, 3))
        }
        "label" | "group" | "keywords" => Some((Tags, 1)),
        "source" | "lead source" | "original source" | "source name" => Some((Source, 3)),
        "notes" | "note" | "description" | "comments" | "comment" => Some((Notes, 3)),
        "about" | "background" | "details" => Some((Notes, 1)),
        "record id" | "id" | "uid" | "record" => Some((RecordId, 3)),
        "external id" => Some((RecordId, 1)),
        _ => None,
    };
    let specific = match target {
        People => match key {
            "name" | "full name" | "fullname" | "contact name" => Some((Name, 3)),
            "display name" => Some((Name, 1)),
            "first name" | "firstname" | "given name" | "forename" | "vorname" | "prénom" => {
                Some((FirstName, 3))
            }
            "first" | "given" => Some((FirstName, 1)),
            "last name" | "lastname" | "family name" | "surname" | "nachname" => {
                Some((LastName, 3))
            }
            "last" | "family" => Some((LastName, 1)),
            "job title" | "jobtitle" | "company title" | "job position" | "company job title" => {
                Some((JobTitle, 3))
            }
            "title" | "position" | "role" | "job" | "occupation" => Some((JobTitle, 1)),
            "company name"
            | "company"
            | "organization"
            | "organisation"
            | "employer"
            | "company organization" => Some((CompanyName, 3)),
            "associated company" | "firm" => Some((CompanyName, 1)),
            "lifecycle stage" | "lifecycle" | "life cycle stage" | "lifecyclestage" => {
                Some((LifecycleStage, 3))
            }
            "stage" => Some((LifecycleStage, 1)),
            _ => None,
        },
        Companies => match key {
            "name" | "company name" | "company" | "organization" | "organisation" | "account"
            | "business name" => Some((Name, 3)),
            "domain" | "domain name" | "company domain" => Some((Domain, 3)),
            "website" | "website url" | "web site" | "url" | "web" | "homepage" | "home page"
            | "web page" | "site" => Some((Domain, 2)),
            "industry" | "sector" | "industry type" => Some((Industry, 3)),
            "vertical" => Some((Industry, 1)),
            "size"
            | "employees"
            | "number of employees"
            | "employee count"
            | "employees count"
            | "headcount"
            | "no of employees"
            | "num employees" => Some((Size, 3)),
            "lifecycle stage" | "lifecycle" | "life cycle stage" | "lifecyclestage" => {
                Some((LifecycleStage, 3))
            }
            "stage" => Some((LifecycleStage, 1)),
            _ => None,
        },
        Deals => match key {
            "name" | "title" | "deal name" | "deal title" => Some((Name, 3)),
            "subject" => Some((Name, 1)),
            "amount" | "value" | "deal value" | "deal amount" => Some((Amount, 3)),
            "total" | "price" => Some((Amount, 1)),
            "currency" | "currency code" | "currency iso code" | "currencyisocode" => {
                Some((Currency, 3))
            }
            "pipeline" | "pipeline name" | "sales pipeline" => Some((Pipeline, 3)),
            "stage" | "stage name" | "deal stage" | "dealstage" | "sales stage"
            | "pipeline stage" => Some((DealStage, 3)),
            "probability" | "win probability" | "deal probability" => Some((Probability, 3)),
            "close date"
            | "closedate"
            | "expected close date"
            | "expected close"
            | "closing date"
            | "expected closing date"
            | "estimated close date" => Some((CloseDate, 3)),
            "close" => Some((CloseDate, 1)),
            "company"
            | "company name"
            | "organization"
            | "organisation"
            | "associated company"
            | "associated company name" => Some((CompanyName, 3)),
            "contact email" => Some((ContactEmail, 3)),
            "lost reason" | "closed lost reason" | "loss reason" | "reason lost" => {
                Some((LostReason, 3))
            }
            "status" | "deal status" => Some((Status, 3)),
            "deal source" => Some((Source, 3)),
            _ => None,
        },
    };
    specific.or(shared)
}

#[cfg(test)]
#[path = "tests/mapping.rs"]
mod tests;
