"""The demo data's texts: what states wrote about each action, and who was responsible.

Only actions/demo.py uses these. National bodies are the ones rpa-facts.md names, for the
states it names them for; other states and areas get a plain description, never an invented
name.
"""

import datetime
from typing import NamedTuple

from actions.models import NationalStatus

Status = NationalStatus.Status


class Story(NamedTuple):
    """The demo texts for one action: what a state writes at each stage."""

    area: str  # which national body is responsible: a key of AGENCIES' maps
    continuous: bool  # done means "ongoing", not "completed"
    planned: str
    in_progress: str
    done: str
    challenge: str
    next_step: str
    evidence: str  # title of a document a state links as evidence


STORIES = {
    "1.1": Story(
        "legal",
        False,
        "Terms of reference for a review of national laws against the 2019 Declaration "
        "agreed; recruitment of a legal consultant under way.",
        "Penal code, child-protection and cybercrime laws being mapped against the "
        "Declaration's commitments; a first list of gaps discussed with line ministries.",
        "Gap analysis completed and endorsed by the inter-ministerial working group; its "
        "findings feed the amendments reported under 1.4.",
        "The relevant provisions are spread over laws of several ministries, which slows "
        "consolidated comments.",
        "Validate the gap analysis at a national workshop and submit it for endorsement.",
        "National gap analysis of laws on online child sexual exploitation and abuse",
    ),
    "1.2": Story(
        "legal",
        False,
        "National contact designated for the regional review of laws; questionnaire expected "
        "from ACWC.",
        "National laws and case examples being compiled to answer the regional review's "
        "questionnaire.",
        "Questionnaire answered and the national chapter of the regional review validated.",
        "Official English translations of several laws are not available.",
        "Send the translated texts and validate the national chapter.",
        "Answers to the regional review questionnaire",
    ),
    "1.3": Story(
        "legal",
        False,
        "Delegation nominated for the regional consultations on harmonised legislation.",
        "Comments on the draft guidelines sent after a national consultation.",
        "Took part in drafting; the guidelines, launched in November 2023, were circulated "
        "to the ministries concerned.",
        "Short consultation periods left little time for inter-ministerial comments.",
        "Translate the guidelines and brief the ministries' legal drafting units.",
        "National translation of the regional guidelines on harmonised legislation",
    ),
    "1.4": Story(
        "legal",
        False,
        "Amendments drafted from the gap analysis; a public consultation is planned.",
        "Draft amendments covering grooming, live-streamed abuse and sextortion under review "
        "by the legislative drafting office.",
        "Amendments adopted: grooming, live-streamed abuse, sextortion and possession of "
        "abuse material are now offences.",
        "The parliamentary calendar; definitions must be aligned with the cybercrime law.",
        "Table the amendments in the next parliamentary session and draft the implementing "
        "regulations.",
        "Amended law as published in the official gazette",
    ),
    "2.1": Story(
        "police",
        True,
        "Training curriculum on online child sexual exploitation and digital evidence being "
        "adapted with partners.",
        "First cohorts of investigators and prosecutors trained; the course is being added "
        "to the police academy's programme.",
        "Investigators, prosecutors and judges are trained every year as part of their "
        "academies' regular courses, with refresher sessions.",
        "High turnover of trained officers; training in the provinces depends on partner funding.",
        "Train trainers so that provincial academies can run the course themselves.",
        "Training curriculum and attendance summary",
    ),
    "2.2": Story(
        "justice",
        False,
        "Assessment of child interview rooms in courts and police stations planned.",
        "Child-friendly interview rooms set up in the capital; procedures for recorded "
        "testimony drafted.",
        "Recorded testimony is accepted in court and child-friendly interview rooms are in "
        "use in every region.",
        "Equipment to record interviews is lacking outside the capital.",
        "Equip interview rooms in the provinces and train support persons.",
        "Procedure for recorded testimony of child victims and witnesses",
    ),
    "2.3": Story(
        "justice",
        True,
        "Investigators and prosecutors nominated for the regional exchange of good practice.",
        "Officials attended the regional exchange; lessons shared with national colleagues.",
        "Investigators, prosecutors and judges take part in the regional exchanges every "
        "year and report back at national follow-up sessions.",
        "Travel budgets limit the number of participants.",
        "Hold a national follow-up session on the cases discussed.",
        "Report of the national follow-up session",
    ),
    "3.1": Story(
        "police",
        False,
        "Proposal for a dedicated unit for crimes against children online submitted for "
        "budget approval.",
        "Dedicated unit set up at headquarters; staff being recruited and trained, digital "
        "forensics equipment partly procured.",
        "Specialised unit fully staffed and equipped, with focal officers in every region.",
        "Digital forensics equipment and specialised staff are costly to retain.",
        "Complete the procurement of forensic equipment and appoint regional focal officers.",
        "Decree establishing the specialised unit",
    ),
    "3.2": Story(
        "police",
        False,
        "Requirements for connecting to international image and video databases discussed "
        "with the national central bureau for international police cooperation.",
        "Connection requested; officers being trained in victim identification.",
        "Specialised unit connected to international image and video databases and "
        "contributing to victim identification.",
        "A secure connection and trained victim-identification staff are needed before "
        "access is granted.",
        "Meet the security requirements and train two more victim-identification officers.",
        "Confirmation of access to the international database",
    ),
    "3.3": Story(
        "police",
        True,
        "Contact points for cross-border requests designated.",
        "Took part in drafting common procedures for requesting evidence across borders; "
        "first joint cases handled.",
        "Cross-border requests and intelligence go through designated contact points; joint "
        "investigations held with neighbouring states.",
        "Mutual legal assistance requests still take months.",
        "Use the regional contact-point list for urgent requests.",
        "List of national contact points for cross-border requests",
    ),
    "4.1": Story(
        "welfare",
        True,
        "Extension of the child helpline to online abuse agreed with partners.",
        "Helpline staff trained on online abuse; an online form to report abuse material is "
        "being set up.",
        "The child helpline and the online reporting form for abuse material are in "
        "service; calls and reports are counted every month.",
        "Few children in rural areas know the helpline.",
        "Promote the helpline number in schools and on social media.",
        "Helpline service statistics",
    ),
    "4.2": Story(
        "welfare",
        False,
        "Nominees identified for the consultation on guidelines for services to child victims.",
        "National services mapped and comments sent on the draft guidelines.",
        "Guidelines launched in November 2023 and shared with social-welfare offices.",
        "Services differ widely between provinces, which makes a national picture hard.",
        "Translate the guidelines and brief provincial social-welfare offices.",
        "National mapping of services for child victims",
    ),
    "4.3": Story(
        "welfare",
        False,
        "Inter-agency working group on the referral of child victims formed.",
        "Referral procedures between police, social welfare and health drafted and piloted "
        "in two provinces.",
        "Referral procedures adopted nationally; every case is followed by a case manager.",
        "Case management is still mostly on paper; health services join late.",
        "Roll the procedures out beyond the pilot provinces and start a shared case register.",
        "Standard operating procedures for referral of child victims",
    ),
    "4.4": Story(
        "welfare",
        True,
        "Training module on children harmed online being prepared with partners.",
        "First social workers and counsellors trained; the module added to in-service training.",
        "The module on online harm is part of social workers' in-service training every year.",
        "Too few social workers for the number of cases.",
        "Train trainers in each region.",
        "Training module for social workers",
    ),
    "5.1": Story(
        "education",
        False,
        "Review of the curricula for online safety content scheduled.",
        "Online safety and digital citizenship lessons piloted in lower secondary schools; "
        "teacher guide drafted.",
        "Online safety and digital citizenship are part of the national curriculum, with "
        "teacher training.",
        "Curriculum revisions take years; teachers need training first.",
        "Extend the lessons to primary grades and train teachers.",
        "Teacher guide on online safety and digital citizenship",
    ),
    "5.2": Story(
        "welfare",
        True,
        "National campaign for parents and carers designed with partners.",
        "Campaign launched on television and social media; materials for teachers in preparation.",
        "The campaign runs every year around Safer Internet Day, with materials for parents, "
        "carers and teachers.",
        "Reaching parents who are not online themselves.",
        "Produce the materials in local languages.",
        "Campaign materials for parents and carers",
    ),
    "5.3": Story(
        "welfare",
        False,
        "Consultation of children planned with the national children's council.",
        "Children and young people consulted on campaign messages in workshops.",
        "Children's suggestions taken up in the national awareness materials.",
        "Consent and safeguarding arrangements for consulting children take time.",
        "Hold a second round of consultations with children in rural areas.",
        "Summary of the consultation with children",
    ),
    "6.1": Story(
        "data",
        False,
        "Data request for the regional baseline received.",
        "National data and policy information being compiled for the regional baseline.",
        "National contribution to the regional baseline submitted and validated.",
        "Data on online cases is not separated from other child-abuse cases.",
        "Validate the figures with the police and the social-welfare ministry.",
        "National contribution to the regional baseline",
    ),
    "6.2": Story(
        "data",
        True,
        "Indicators for reported cases, investigations and prosecutions agreed.",
        "Case data collected from police and social welfare; figures by age, sex and type of "
        "harm partly available.",
        "Yearly statistics on reports, investigations, prosecutions and services are "
        "published by age, sex and type of harm.",
        "Agencies use different case definitions and no shared database.",
        "Agree a common case definition and a shared data template.",
        "Annual statistics on online child sexual exploitation and abuse",
    ),
    "6.3": Story(
        "welfare",
        False,
        "Preparing the national input to the mid-term review.",
        "National input to the 2024 mid-term review submitted; preparing the end-of-term review.",
        "National input to the mid-term review (2024) and the end-of-term review (2025) submitted.",
        "Collecting updates from many agencies before the deadline.",
        "Submit the national input to the end-of-term review.",
        "National input to the end-of-term review",
    ),
    "6.4": Story(
        "data",
        False,
        "Research topics on emerging harms proposed to ACWC.",
        "National data provided for the regional study on live-streamed abuse and "
        "financially motivated sextortion.",
        "National findings on emerging harms published and presented at the regional meeting.",
        "Little data on financially motivated sextortion.",
        "Share the findings with the police and the regulator.",
        "National findings on emerging forms of harm",
    ),
    "7.1": Story(
        "ict",
        True,
        "Delegation nominated for the ASEAN ICT forum on child online protection.",
        "Attended the ICT forum with industry representatives; its commitments are being "
        "followed up.",
        "A delegation of government and industry attends the forum every year (Cambodia "
        "2022, Bangkok 2023, Bali 2024, Kuala Lumpur 2025) and follows up its commitments.",
        "Following up industry commitments between forums.",
        "Report on the follow-up of the forum's commitments.",
        "Follow-up note on the ICT forum's commitments",
    ),
    "7.2": Story(
        "ict",
        False,
        "Consultation with internet and telecommunications companies on detecting and "
        "removing abuse material planned.",
        "Memorandum with the main internet providers on blocking and removing abuse material "
        "under negotiation.",
        "Agreement with internet and telecommunications companies in force: detected abuse "
        "material is reported and removed.",
        "Smaller providers lack tools to detect abuse material.",
        "Extend the agreement to smaller providers.",
        "Memorandum with internet and telecommunications companies",
    ),
    "7.3": Story(
        "ict",
        False,
        "Meeting of the regulator, police and service providers on data requests scheduled.",
        "Draft procedures for data requests, takedown and emergency cooperation under discussion.",
        "Procedures for data requests, takedown and emergency cooperation agreed between "
        "the regulator, police and providers.",
        "Platforms based abroad answer requests slowly.",
        "Test the emergency procedure in a joint exercise.",
        "Agreed procedure for data requests and takedown",
    ),
    "7.4": Story(
        "ict",
        False,
        "The regulator is studying age-appropriate design codes.",
        "Guidance on default privacy settings and safety tools for online services under "
        "consultation.",
        "Guidance on age-appropriate settings and safety tools issued to online services.",
        "Most online services used by children operate from abroad.",
        "Publish the guidance after the consultation.",
        "Guidance on age-appropriate design",
    ),
}
GENERIC_STORY = Story(
    "welfare",
    False,
    "Activities planned with the agencies concerned.",
    "Implementation under way.",
    "Implemented.",
    "Limited budget and staff.",
    "Continue implementation.",
    "Progress report",
)

# The bodies rpa-facts.md names, for the states it names them for; other states and areas get
# a plain description rather than an invented name.
GENERIC_AGENCIES = {
    "legal": "Ministry responsible for social welfare and children, with the justice ministry",
    "justice": "Ministry responsible for justice",
    "police": "National police, unit for crimes against children",
    "welfare": "Ministry responsible for social welfare and children",
    "education": "Ministry responsible for education",
    "ict": "Ministry responsible for digital affairs, with the telecommunications regulator",
    "data": "Ministry responsible for social welfare, with the national statistics office",
}
_CNCC = "Cambodian National Council for Children (CNCC)"
_KPWKM = "Ministry of Women, Family and Community Development (KPWKM)"
_IACAT = "Inter-Agency Council Against Trafficking (IACAT)"
_IACAT_CENTRE = (
    "IACAT's national coordination centre against online sexual abuse of children (RA 11930)"
)
_KEMENPPPA = "Ministry of Women's Empowerment and Child Protection (KemenPPPA)"
_MSDHS = (
    "Ministry of Social Development and Human Security (MSDHS), Department of Children and Youth"
)
AGENCIES = {
    "KH": {
        "legal": _CNCC,
        "welfare": "Ministry of Social Affairs, Veterans and Youth Rehabilitation (MoSVY)",
        "data": _CNCC,
    },
    "MY": {
        "legal": _KPWKM,
        "welfare": _KPWKM,
        "data": _KPWKM,
        "police": "Royal Malaysia Police, D11 (sexual, women and child investigations)",
        "ict": "Malaysian Communications and Multimedia Commission (MCMC)",
    },
    "PH": {
        "legal": _IACAT,
        "justice": _IACAT,
        "police": _IACAT_CENTRE,
        "data": _IACAT_CENTRE,
        "welfare": "Department of Social Welfare and Development (DSWD)",
    },
    "ID": {"legal": _KEMENPPPA, "welfare": _KEMENPPPA, "data": _KEMENPPPA},
    "TH": {
        "legal": _MSDHS,
        "welfare": _MSDHS,
        "data": _MSDHS,
        "ict": "Ministry of Digital Economy and Society (MDES)",
    },
}
# Indonesia's communication ministry was reorganised as Komdigi in October 2024.
KOMDIGI_FROM = datetime.date(2024, 10, 21)


def agency(code, area, day):
    """The national body a state names as responsible for an area of work on `day`."""
    if code == "ID" and area == "ict":
        if day < KOMDIGI_FROM:
            return "Ministry of Communication and Informatics (Kominfo)"
        return "Ministry of Communication and Digital Affairs (Komdigi)"
    return AGENCIES.get(code, {}).get(area, GENERIC_AGENCIES[area])


# --- A few entries on the plan open now ---------------------------------------------------------

CURRENT_ENTRIES = (
    (
        "focal.th",
        "1.1",
        Status.IN_PROGRESS,
        20,
        "Amendments following the 2023 regional guidelines drafted; hearing with civil "
        "society scheduled.",
        "Submit the draft amendments to the cabinet.",
        "legal",
    ),
    (
        "coordinator.th",
        "7.4",
        Status.PLANNED,
        5,
        "Working group on safety-by-design principles to be formed with industry.",
        "Nominate members for the regional drafting group.",
        "ict",
    ),
    (
        "focal.ph",
        "1.3",
        Status.PLANNED,
        10,
        "Consultation paper on online safety duties for online services in preparation.",
        "Publish the consultation paper.",
        "police",
    ),
    (
        "focal.ph",
        "4.1",
        Status.IN_PROGRESS,
        40,
        "In-app reporting links agreed with two platforms; referral of reports to social "
        "welfare services being tested.",
        "Extend in-app reporting to the other large platforms.",
        "welfare",
    ),
    (
        "focal.my",
        "1.3",
        Status.IN_PROGRESS,
        50,
        "Obligations for online services to reduce risks to children being set out in "
        "regulations and a code of conduct.",
        "Consult platforms on the draft code of conduct.",
        "ict",
    ),
    (
        "coordinator.my",
        "2.4",
        Status.PLANNED,
        10,
        "Investigators nominated for the regional training on AI-generated abuse material.",
        "Hold a national briefing after the regional training.",
        "police",
    ),
    (
        "focal.id",
        "1.2",
        Status.IN_PROGRESS,
        30,
        "Children's rights online being written into the revision of the national "
        "child-protection policy.",
        "Consult children's forums on the draft.",
        "legal",
    ),
    (
        "focal.id",
        "5.2",
        Status.ONGOING,
        60,
        "Guidance for parents on children's online lives distributed through community "
        "child-protection networks.",
        "Add guidance on generative AI.",
        "welfare",
    ),
    (
        "focal.kh",
        "1.1",
        Status.PLANNED,
        5,
        "Working group assigned to list the amendments the regional guidelines call for.",
        "Present the list of amendments to the council.",
        "legal",
    ),
    (
        "coordinator.kh",
        "4.1",
        Status.IN_PROGRESS,
        35,
        "The child helpline's online reporting is being extended to messaging apps.",
        "Train helpline staff on reports received through messaging apps.",
        "welfare",
    ),
    (
        "focal.tl",
        "1.1",
        Status.PLANNED,
        0,
        "As a new member state, Timor-Leste is mapping its laws against the regional "
        "guidelines before planning amendments.",
        "Finish the legal mapping with the justice ministry.",
        "legal",
    ),
    (
        "focal.tl",
        "5.1",
        Status.NOT_STARTED,
        0,
        "",
        "Review the curricula once the legal mapping is done.",
        "education",
    ),
)
# (author, item, evidence title): links added after the entries above.
CURRENT_EVIDENCE = (
    ("focal.th", "1.1", "Draft amendments for the public hearing"),
    ("focal.my", "1.3", "Consultation on the code of conduct for online services"),
)
