use super::*;
use ImportTarget::*;
use TargetField::*;

fn headers(row: &str) -> Vec<String> {
    row.split(',').map(str::to_string).collect()
}

/// The mapping as (header, field) pairs for the columns that got one.
fn mapped(target: ImportTarget, row: &str) -> Vec<(String, TargetField)> {
    let headers = headers(row);
    let mapping = guess_mapping(target, &headers);
    headers
        .into_iter()
        .zip(mapping)
        .filter_map(|(h, f)| f.map(|f| (h, f)))
        .collect()
}

fn pairs(items: &[(&str, TargetField)]) -> Vec<(String, TargetField)> {
    items.iter().map(|(h, f)| (h.to_string(), *f)).collect()
}

#[test]
fn normalises_header_names() {
    assert_eq!(normalise_header("MailingPostalCode"), "mailing postal code");
    assert_eq!(normalise_header("E-mail 2 Address"), "email 2 address");
    assert_eq!(normalise_header("Probability (%)"), "probability");
    assert_eq!(
        normalise_header("Business Country/Region"),
        "business country region"
    );
    assert_eq!(normalise_header("first_name"), "first name");
    assert_eq!(normalise_header("CurrencyIsoCode"), "currency iso code");
    assert_eq!(normalise_header("Record ID"), "record id");
    assert_eq!(
        normalise_header("  Person - Email - Work "),
        "person email work"
    );
}

#[test]
fn hubspot_exports() {
    let contacts = "Record ID,First Name,Last Name,Email,Phone Number,Company Name,Job Title,Lifecycle Stage,Contact owner,Lead Status,Create Date,Associated Company,Street Address,City,State/Region,Postal Code,Country/Region,Mobile Phone Number,Website URL,Original Source";
    assert_eq!(
        mapped(People, contacts),
        pairs(&[
            ("Record ID", RecordId),
            ("First Name", FirstName),
            ("Last Name", LastName),
            ("Email", Email),
            ("Phone Number", Phone),
            ("Company Name", CompanyName),
            ("Job Title", JobTitle),
            ("Lifecycle Stage", LifecycleStage),
            ("Contact owner", Owner),
            ("Street Address", Street),
            ("City", City),
            ("State/Region", Region),
            ("Postal Code", Postcode),
            ("Country/Region", Country),
            ("Mobile Phone Number", Phone),
            ("Original Source", Source),
        ])
    );
    let companies = "Record ID,Company name,Company Domain Name,Website URL,Company owner,Industry,Number of Employees,Phone Number,City,Country/Region,Lifecycle Stage,Annual Revenue,Description";
    assert_eq!(
        mapped(Companies, companies),
        pairs(&[
            ("Record ID", RecordId),
            ("Company name", Name),
            ("Company Domain Name", Domain),
            ("Company owner", Owner),
            ("Industry", Industry),
            ("Number of Employees", Size),
            ("Phone Number", Phone),
            ("City", City),
            ("Country/Region", Country),
            ("Lifecycle Stage", LifecycleStage),
            ("Description", Notes),
        ])
    );
    let deals = "Record ID,Deal Name,Deal Stage,Close Date,Deal owner,Amount,Pipeline,Deal Type,Associated Company,Closed Lost Reason";
    assert_eq!(
        mapped(Deals, deals),
        pairs(&[
            ("Record ID", RecordId),
            ("Deal Name", Name),
            ("Deal Stage", DealStage),
            ("Close Date", CloseDate),
            ("Deal owner", Owner),
            ("Amount", Amount),
            ("Pipeline", Pipeline),
            ("Associated Company", CompanyName),
            ("Closed Lost Reason", LostReason),
        ])
    );
}

#[test]
fn salesforce_exports() {
    let api = "Id,AccountId,LastName,FirstName,Salutation,Name,OtherStreet,OtherCity,MailingStreet,MailingCity,MailingState,MailingPostalCode,MailingCountry,Phone,Fax,MobilePhone,HomePhone,ReportsToId,Email,Title,Department,LeadSource,Description,OwnerId";
    assert_eq!(
        mapped(People, api),
        pairs(&[
            ("Id", RecordId),
            ("LastName", LastName),
            ("FirstName", FirstName),
            ("Name", Name),
            ("MailingStreet", Street),
            ("MailingCity", City),
            ("MailingState", Region),
            ("MailingPostalCode", Postcode),
            ("MailingCountry", Country),
            ("Phone", Phone),
            ("Fax", Phone),
            ("MobilePhone", Phone),
            ("HomePhone", Phone),
            ("Email", Email),
            ("Title", JobTitle),
            ("LeadSource", Source),
            ("Description", Notes),
        ])
    );
    let report = "First Name,Last Name,Account Name,Title,Email,Phone,Mobile,Mailing Street,Mailing City,Mailing State/Province,Mailing Zip/Postal Code,Mailing Country,Lead Source,Contact Owner,Contact ID";
    let got = mapped(People, report);
    assert!(got.contains(&("Account Name".into(), CompanyName)));
    assert!(got.contains(&("Mailing Zip/Postal Code".into(), Postcode)));
    assert!(got.contains(&("Mailing State/Province".into(), Region)));
    assert!(got.contains(&("Contact ID".into(), RecordId)));
    assert_eq!(got.len(), 15);
    let opportunities = "Opportunity ID,Opportunity Name,Account Name,StageName,Amount,Probability (%),CloseDate,CurrencyIsoCode,Opportunity Owner,Lead Source,ExpectedRevenue,Type";
    assert_eq!(
        mapped(Deals, opportunities),
        pairs(&[
            ("Opportunity ID", RecordId),
            ("Opportunity Name", Name),
            ("Account Name", CompanyName),
            ("StageName", DealStage),
            ("Amount", Amount),
            ("Probability (%)", Probability),
            ("CloseDate", CloseDate),
            ("CurrencyIsoCode", Currency),
            ("Opportunity Owner", Owner),
            ("Lead Source", Source),
        ])
    );
    let accounts = "Id,Name,Website,Industry,NumberOfEmployees,BillingStreet,BillingCity,BillingState,BillingPostalCode,BillingCountry,ShippingStreet,Phone";
    let got = mapped(Companies, accounts);
    assert!(got.contains(&("Website".into(), Domain)));
    assert!(got.contains(&("NumberOfEmployees".into(), Size)));
    assert!(got.contains(&("BillingStreet".into(), Street)));
    assert!(!got.iter().any(|(h, _)| h == "ShippingStreet"));
}

#[test]
fn pipedrive_exports() {
    let people = "Person - ID,Person - Name,Person - First name,Person - Last name,Person - Organization,Person - Email - Work,Person - Email - Home,Person - Phone - Work,Person - Phone - Mobile,Person - Owner,Person - Label,Person - Visible to";
    assert_eq!(
        mapped(People, people),
        pairs(&[
            ("Person - ID", RecordId),
            ("Person - Name", Name),
            ("Person - First name", FirstName),
            ("Person - Last name", LastName),
            ("Person - Organization", CompanyName),
            ("Person - Email - Work", Email),
            ("Person - Email - Home", Email),
            ("Person - Phone - Work", Phone),
            ("Person - Phone - Mobile", Phone),
            ("Person - Owner", Owner),
            ("Person - Label", Tags),
        ])
    );
    let deals = "Deal - ID,Deal - Title,Deal - Value,Deal - Currency,Deal - Organization,Deal - Contact person,Deal - Owner,Deal - Stage,Deal - Pipeline,Deal - Status,Deal - Expected close date,Deal - Lost reason,Person - Email - Work,Organization - Name";
    assert_eq!(
        mapped(Deals, deals),
        pairs(&[
            ("Deal - ID", RecordId),
            ("Deal - Title", Name),
            ("Deal - Value", Amount),
            ("Deal - Currency", Currency),
            ("Deal - Organization", CompanyName),
            ("Deal - Owner", Owner),
            ("Deal - Stage", DealStage),
            ("Deal - Pipeline", Pipeline),
            ("Deal - Status", Status),
            ("Deal - Expected close date", CloseDate),
            ("Deal - Lost reason", LostReason),
            ("Person - Email - Work", ContactEmail),
        ])
    );
    let orgs = "Organization - ID,Organization - Name,Organization - Owner,Organization - Address,Organization - Website,Person - Name";
    assert_eq!(
        mapped(Companies, orgs),
        pairs(&[
            ("Organization - ID", RecordId),
            ("Organization - Name", Name),
            ("Organization - Owner", Owner),
            ("Organization - Address", Street),
            ("Organization - Website", Domain),
        ])
    );
}

#[test]
fn google_contacts_exports_and_their_label_columns() {
    let legacy = "Name,Given Name,Additional Name,Family Name,Yomi Name,Name Prefix,Nickname,Birthday,Notes,Group Membership,E-mail 1 - Type,E-mail 1 - Value,E-mail 2 - Type,E-mail 2 - Value,Phone 1 - Type,Phone 1 - Value,Address 1 - Type,Address 1 - Formatted,Address 1 - Street,Address 1 - City,Address 1 - PO Box,Address 1 - Region,Address 1 - Postal Code,Address 1 - Country,Organization 1 - Type,Organization 1 - Name,Organization 1 - Yomi Name,Organization 1 - Title,Organization 1 - Department,Website 1 - Type,Website 1 - Value";
    let hs = headers(legacy);
    let mapping = guess_mapping(People, &hs);
    assert_eq!(
        mapped(People, legacy),
        pairs(&[
            ("Name", Name),
            ("Given Name", FirstName),
            ("Family Name", LastName),
            ("Notes", Notes),
            ("Group Membership", Tags),
            ("E-mail 1 - Type", EmailLabel),
            ("E-mail 1 - Value", Email),
            ("E-mail 2 - Type", EmailLabel),
            ("E-mail 2 - Value", Email),
            ("Phone 1 - Type", PhoneLabel),
            ("Phone 1 - Value", Phone),
            ("Address 1 - Street", Street),
            ("Address 1 - City", City),
            ("Address 1 - Region", Region),
            ("Address 1 - Postal Code", Postcode),
            ("Address 1 - Country", Country),
            ("Organization 1 - Name", CompanyName),
            ("Organization 1 - Title", JobTitle),
        ])
    );
    let labels = channel_labels(&hs, &mapping);
    let at = |name: &str| hs.iter().position(|h| h == name).unwrap();
    assert_eq!(
        labels[at("E-mail 1 - Value")],
        ChannelLabel::Column(at("E-mail 1 - Type"))
    );
    assert_eq!(
        labels[at("E-mail 2 - Value")],
        ChannelLabel::Column(at("E-mail 2 - Type"))
    );
    assert_eq!(
        labels[at("Phone 1 - Value")],
        ChannelLabel::Column(at("Phone 1 - Type"))
    );
    assert_eq!(labels[at("Name")], ChannelLabel::None);

    let current = "First Name,Middle Name,Last Name,Nickname,File As,Organization Name,Organization Title,Organization Department,Birthday,Notes,Photo,Labels,E-mail 1 - Label,E-mail 1 - Value,Phone 1 - Label,Phone 1 - Value,Address 1 - Label,Address 1 - City,Address 1 - Country";
    assert_eq!(
        mapped(People, current),
        pairs(&[
            ("First Name", FirstName),
            ("Last Name", LastName),
            ("Organization Name", CompanyName),
            ("Organization Title", JobTitle),
            ("Notes", Notes),
            ("Labels", Tags),
            ("E-mail 1 - Label", EmailLabel),
            ("E-mail 1 - Value", Email),
            ("Phone 1 - Label", PhoneLabel),
            ("Phone 1 - Value", Phone),
            ("Address 1 - City", City),
            ("Address 1 - Country", Country),
        ])
    );
}

#[test]
fn outlook_exports() {
    let outlook = "Title,First Name,Middle Name,Last Name,Suffix,Company,Department,Job Title,Business Street,Business Street 2,Business City,Business State,Business Postal Code,Business Country/Region,Home Street,Home City,Assistant's Phone,Business Fax,Business Phone,Business Phone 2,Company Main Phone,Home Phone,Mobile Phone,Pager,Categories,E-mail Address,E-mail Type,E-mail Display Name,E-mail 2 Address,E-mail 2 Type,E-mail 3 Address,Notes,Web Page";
    let hs = headers(outlook);
    let mapping = guess_mapping(People, &hs);
    assert_eq!(
        mapped(People, outlook),
        pairs(&[
            ("First Name", FirstName),
            ("Last Name", LastName),
            ("Company", CompanyName),
            ("Job Title", JobTitle),
            ("Business Street", Street),
            ("Business City", City),
            ("Business State", Region),
            ("Business Postal Code", Postcode),
            ("Business Country/Region", Country),
            ("Business Fax", Phone),
            ("Business Phone", Phone),
            ("Business Phone 2", Phone),
            ("Company Main Phone", Phone),
            ("Home Phone", Phone),
            ("Mobile Phone", Phone),
            ("Pager", Phone),
            ("Categories", Tags),
            ("E-mail Address", Email),
            ("E-mail 2 Address", Email),
            ("E-mail 3 Address", Email),
            ("Notes", Notes),
        ])
    );
    let labels = channel_labels(&hs, &mapping);
    let label = |name: &str| labels[hs.iter().position(|h| h == name).unwrap()].clone();
    assert_eq!(label("Mobile Phone"), ChannelLabel::Fixed("mobile"));
    assert_eq!(label("Business Fax"), ChannelLabel::Fixed("fax"));
    assert_eq!(label("Business Phone"), ChannelLabel::Fixed("work"));
    assert_eq!(label("Home Phone"), ChannelLabel::Fixed("home"));
    assert_eq!(label("E-mail Address"), ChannelLabel::None);
}

#[test]
fn single_valued_fields_are_taken_once() {
    let got = guess_mapping(
        People,
        &headers("Email,Name,Full Name,Email Address 3,name"),
    );
    assert_eq!(got, vec![Some(Email), Some(Name), None, Some(Email), None]);
    let got = guess_mapping(People, &headers("Position,Job Title"));
    assert_eq!(got, vec![None, Some(JobTitle)]);
    assert_eq!(guess_mapping(People, &[]), vec![]);
    assert_eq!(
        guess_mapping(Deals, &headers("Deal Name,First Name")),
        vec![Some(Name), None]
    );
}

#[test]
fn every_guess_is_a_field_of_its_target() {
    let all = "Record ID,First Name,Last Name,Email,Phone,Company,Title,Street,City,State,Zip,Country,Tags,Owner,Stage,Source,Notes,Website,Industry,Employees,Amount,Currency,Pipeline,Probability,Close Date,Lost Reason,Status,E-mail 1 - Type,E-mail 1 - Value,Contact Email";
    for target in [People, Companies, Deals] {
        for field in guess_mapping(target, &headers(all)).into_iter().flatten() {
            assert!(
                TargetField::for_target(target).contains(&field),
                "{target:?} {field:?}"
            );
        }
    }
    assert!(is_known_header("E-mail Address"));
    assert!(!is_known_header("Ada"));
}
