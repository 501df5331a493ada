"""Facts about the EOIR case-data release layout: tables, headers in file order, codes.

This module holds facts only (no parsing), so that the synthetic-release writer
(`asylumlens.synth`) and the reader (`asylumlens.ingest`) share what the release
*is* without sharing how it is read: a round-trip test then proves the reader
against an independent writer, not against itself.

Sources: ``shared/eoir/NOTES.md`` sections 1.3-1.4 (headers of the 2026-04 release,
EOIR's own field definitions with their ``varchar(n)`` widths) and the real lookup
values under ``shared/eoir/reference/``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Final


class Kind(StrEnum):
    """How a column is typed at ingest."""

    INTEGER = "integer"  # EOIR int keys (IDN*)
    DATE = "date"  # 'YYYY-MM-DD HH:MM:SS.mmm' datetimes; only the date part carries meaning
    BOOLEAN = "boolean"  # SQL Server bit: '0'/'1' (also 'true'/'false')
    BIRTH_MONTH = "birth_month"  # C_BIRTHDATE, text 'M/YYYY'; stored as the first day of that month
    TEXT = "text"  # codes and free text, trimmed; codes stay text ('SP ', '209c', '??' are real)


INTEGER: Final = Kind.INTEGER
DATE: Final = Kind.DATE
BOOLEAN: Final = Kind.BOOLEAN
BIRTH_MONTH: Final = Kind.BIRTH_MONTH
TEXT: Final = Kind.TEXT


@dataclass(frozen=True)
class Column:
    """One column of a release table, as named in the release header.

    ``width`` is EOIR's declared ``varchar(n)`` where known. The reader never rejects a
    value for being wider (the definitions are older than the data); it uses the width
    only to choose between candidate realignments of a row shifted by a stray tab.
    """

    name: str
    kind: Kind
    width: int | None = None

    @property
    def key(self) -> str:
        """The normalised name used in the store (see :func:`normalise_name`)."""
        return normalise_name(self.name)


C = Column


@dataclass(frozen=True)
class Table:
    """A table of the release: its file stem, folder and columns in file order."""

    stem: str
    folder: str  # "core" (EOIR Case Data/) or "lookup" (Lookup/)
    columns: tuple[Column, ...]
    primary_key: str | None = None  # normalised column name

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(c.key for c in self.columns)

    @property
    def header(self) -> str:
        """The header line exactly as the release writes it (without line end)."""
        return "\t".join(c.name for c in self.columns)


def normalise_name(header_name: str) -> str:
    """Normalise a header name: trimmed, lower case, runs of non-alphanumerics as ``_``.

    Header case drifts between releases and tables (``IDNCASE``, ``idncase``, ``idnCase``;
    ``Sex`` was ``GENDER``), so the store uses one spelling per column.
    """
    name = re.sub(r"[^0-9a-z]+", "_", header_name.strip().lower()).strip("_")
    return HEADER_ALIASES.get(name, name)


# Older releases used other names for the same column.
HEADER_ALIASES: Final[dict[str, str]] = {"gender": "sex"}

_CORE_COLUMNS: Final[dict[str, tuple[Column, ...]]] = {
    "A_TblCase": (
        C("IDNCASE", INTEGER),
        C("ALIEN_CITY", TEXT, 15),
        C("ALIEN_STATE", TEXT, 2),
        C("ALIEN_ZIPCODE", TEXT, 10),
        C("UPDATED_ZIPCODE", TEXT, 10),
        C("UPDATED_CITY", TEXT, 15),
        C("NAT", TEXT, 2),
        C("LANG", TEXT, 3),
        C("CUSTODY", TEXT, 1),
        C("SITE_TYPE", TEXT, 1),
        C("E_28_DATE", DATE),
        C("ATTY_NBR", TEXT, 2),
        C("CASE_TYPE", TEXT, 3),
        C("UPDATE_SITE", TEXT, 3),
        C("LATEST_HEARING", DATE),
        C("LATEST_TIME", TEXT, 4),
        C("LATEST_CAL_TYPE", TEXT, 1),
        C("UP_BOND_DATE", DATE),
        C("UP_BOND_RSN", TEXT, 2),
        C("CORRECTIONAL_FAC", TEXT, 1),
        C("RELEASE_MONTH", TEXT, 2),
        C("RELEASE_YEAR", TEXT, 4),
        C("INMATE_HOUSING", TEXT, 3),
        C("DATE_OF_ENTRY", DATE),
        C("C_ASY_TYPE", TEXT, 1),
        C("C_BIRTHDATE", BIRTH_MONTH),
        C("C_RELEASE_DATE", DATE),
        C("UPDATED_STATE", TEXT, 2),
        C("ADDRESS_CHANGEDON", DATE),
        C("ZBOND_MRG_FLAG", TEXT),
        C("Sex", TEXT),
        C("DATE_DETAINED", DATE),
        C("DATE_RELEASED", DATE),
        C("LPR", BOOLEAN),
        C("DETENTION_DATE", DATE),
        C("DETENTION_LOCATION", TEXT, 34),
        C("DCO_LOCATION", TEXT, 24),
        C("DETENTION_FACILITY_TYPE", TEXT, 10),
        C("CASEPRIORITY_CODE", TEXT, 20),
    ),
    "B_TblProceeding": (
        C("IDNPROCEEDING", INTEGER),
        C("IDNCASE", INTEGER),
        C("OSC_DATE", DATE),
        C("INPUT_DATE", DATE),
        C("BASE_CITY_CODE", TEXT, 3),
        C("HEARING_LOC_CODE", TEXT, 3),
        C("IJ_CODE", TEXT, 3),
        C("TRANS_IN_DATE", DATE),
        C("PREV_HEARING_LOC", TEXT, 3),
        C("PREV_HEARING_BASE", TEXT, 3),
        C("PREV_IJ_CODE", TEXT, 3),
        C("TRANS_NBR", TEXT, 2),
        C("HEARING_DATE", DATE),
        C("HEARING_TIME", TEXT, 4),
        C("DEC_TYPE", TEXT, 1),
        C("DEC_CODE", TEXT, 1),
        C("DEPORTED_1", TEXT, 2),
        C("DEPORTED_2", TEXT, 2),
        C("OTHER_COMP", TEXT, 1),
        C("APPEAL_RSVD", TEXT, 1),
        C("APPEAL_NOT_FILED", TEXT, 1),
        C("COMP_DATE", DATE),
        C("ABSENTIA", TEXT, 1),
        C("VENUE_CHG_GRANTED", DATE),
        C("TRANSFER_TO", TEXT, 3),
        C("DATE_APPEAL_DUE_STATUS", DATE),
        C("TRANSFER_STATUS", TEXT, 1),
        C("CUSTODY", TEXT, 1),
        C("CASE_TYPE", TEXT, 3),
        C("NAT", TEXT, 2),
        C("LANG", TEXT, 3),
        C("SCHEDULED_HEAR_LOC", TEXT, 3),
        C("CORRECTIONAL_FAC", TEXT, 1),
        C("CRIM_IND", TEXT, 1),
        C("IHP", TEXT, 1),
        C("AGGRAVATE_FELON", BOOLEAN),
        C("DATE_DETAINED", DATE),
        C("DATE_RELEASED", DATE),
    ),
    "tbl_Court_Appln": (
        C("IDNPROCEEDINGAPPLN", INTEGER),
        C("IDNPROCEEDING", INTEGER),
        C("IDNCASE", INTEGER),
        C("APPL_CODE", TEXT, 4),
        C("APPL_RECD_DATE", DATE),
        C("APPL_DEC", TEXT, 10),
    ),
    "tbl_RepsAssigned": (
        C("IDNREPSASSIGNED", INTEGER),
        C("IDNCASE", INTEGER),
        C("STRATTYLEVEL", TEXT, 10),
        C("STRATTYTYPE", TEXT, 10),
        C("PARENT_TABLE", TEXT, 100),
        C("PARENT_IDN", INTEGER),
        C("BASE_CITY_CODE", TEXT, 3),
        C("INS_TA_DATE_ASSIGNED", DATE),
        C("E_27_DATE", DATE),
        C("E_28_DATE", DATE),
        C("BLNPRIMEATTY", BOOLEAN),
    ),
    "tbl_CustodyHistory": (
        C("IDNCUSTODY", INTEGER),
        C("IDNCASE", INTEGER),
        C("CUSTODY", TEXT, 1),
        C("DATDETAINED", DATE),
        C("DATRELEASED", DATE),
    ),
    "tblAppeal": (
        C("idnAppeal", INTEGER),
        C("idncase", INTEGER),
        C("idnProceeding", INTEGER),
        C("strAppealCategory", TEXT, 2),
        C("strAppealType", TEXT, 25),
        C("datAppealFiled", DATE),
        C("strFiledBy", TEXT, 1),
        C("datAttorneyE27", DATE),
        C("datBIADecision", DATE),
        C("strBIADecision", TEXT, 3),
        C("strBIADecisionType", TEXT, 1),
        C("strCaseType", TEXT, 3),
        C("strLang", TEXT, 3),
        C("strNat", TEXT, 45),
        C("strProceedingIHP", TEXT, 1),
        C("strCustody", TEXT, 1),
        C("strProbono", TEXT, 1),
    ),
}

_LOOKUP_COLUMNS: Final[dict[str, tuple[Column, ...]]] = {
    "tblLookupNationality": (
        C("ID", INTEGER),
        C("NAT_CODE", TEXT),
        C("NAT_NAME", TEXT),
        C("NAT_COUNTRY_NAME", TEXT),
        C("NAT_NACARA_COUNTRY", TEXT),
        C("datCreatedOn", DATE),
        C("datModifiedOn", DATE),
        C("blnActive", BOOLEAN),
    ),
    "tblLanguage": (
        C("idnLang", INTEGER),
        C("strCode", TEXT),
        C("strDescription", TEXT),
        C("datCreatedOn", DATE),
        C("datModifiedOn", DATE),
        C("blnActive", BOOLEAN),
    ),
    "tblLookupJudge": (
        C("idnJudge", INTEGER),
        C("JUDGE_CODE", TEXT),
        C("JUDGE_NAME", TEXT),
        C("JUDGE_ST_ADDRESS", TEXT),
        C("JUDGE_CITY", TEXT),
        C("JUDGE_STATE", TEXT),
        C("JUDGE_ZIP_1", TEXT),
        C("JUDGE_ZIP_2", TEXT),
        C("JUDGE_PHONE_NO", TEXT),
        C("datCreatedOn", DATE),
        C("datModifiedOn", DATE),
        C("blnActive", BOOLEAN),
        C("blnSkippedOnWheel", BOOLEAN),
        C("blnLastOnWheel", BOOLEAN),
        C("blnSkippedOnWheelMA", BOOLEAN),
        C("blnLastOnWheelMA", BOOLEAN),
        C("intOrderMA", TEXT),
        C("intOrderMM", TEXT),
    ),
    "tblLookUp_Appln": (
        C("idnAppln", INTEGER),
        C("strcode", TEXT),
        C("strdescription", TEXT),
        C("strAllowedCaseTypes", TEXT),
        C("strAllowedDecisionCodes", TEXT),
        C("APL_casetype_1", TEXT),
        C("APL_casetype_2", TEXT),
        C("APL_casetype_3", TEXT),
        C("APL_casetype_4", TEXT),
        C("APL_casetype_5", TEXT),
        C("APL_casetype_6", TEXT),
        C("APL_casetype_7", TEXT),
        C("datCreatedOn", DATE),
        C("datModifiedOn", DATE),
        C("blnActive", BOOLEAN),
    ),
    "tblLookupCourtAppDecisions": (
        C("idnCourtApplnDec", INTEGER),
        C("strCourtApplnDecCode", TEXT),
        C("strCourtApplnDecDesc", TEXT),
        C("blnActive", BOOLEAN),
        C("datCreatedOn", DATE),
        C("datModifiedOn", DATE),
        C("Comments", TEXT),
    ),
    "tblLookupCaseType": (
        C("idnCaseType", INTEGER),
        C("strCode", TEXT),
        C("strDescription", TEXT),
        C("blnActive", BOOLEAN),
        C("datCreatedOn", DATE),
        C("datModifiedOn", DATE),
        C("strAnsirCode", TEXT),
    ),
    "tblLookupCustodyStatus": (
        C("idnCustodyStatus", INTEGER),
        C("strCode", TEXT),
        C("strSelecBoxVal", TEXT),
        C("strDescription", TEXT),
        C("blnActive", BOOLEAN),
        C("datCreatedOn", DATE),
        C("datModifiedOn", DATE),
    ),
    "tblLookupCourtDecision": (
        C("idnCourtDecision", INTEGER),
        C("strCaseType", TEXT),
        C("strDecCode", TEXT),
        C("strDecDescription", TEXT),
        C("strDecType", TEXT),
        C("strFinalDisposition", TEXT),
        C("blnActive", BOOLEAN),
        C("datCreatedOn", DATE),
        C("datModifiedOn", DATE),
    ),
    "tblLookupSex": (
        C("idnSex", INTEGER),
        C("strcode", TEXT),
        C("strDescription", TEXT),
        C("datCreatedOn", DATE),
        C("datModifiedOn", DATE),
        C("blnActive", BOOLEAN),
    ),
    "tblLookupHloc": (
        C("idnHloc", INTEGER),
        C("HEARING_LOC_CODE", TEXT),
        C("HEARING_LOC_NAME", TEXT),
        C("HEARING_CORR_TITLE", TEXT),
        C("HEARING_ST_ADDRESS", TEXT),
        C("HEARING_CITY", TEXT),
        C("HEARING_STATE", TEXT),
        C("HEARING_ZIP", TEXT),
        C("HEARING_PHONE_NO", TEXT),
        C("HEARING_BASE_CITY", TEXT),
        C("Hear_Admin_Hear_Loc", TEXT),
        C("Hear_Trans_COV_City", TEXT),
        C("Hear_Det_Type", TEXT),
        C("Hear_Active_Flg", TEXT),
        C("datCreatedOn", DATE),
        C("datModifiedOn", DATE),
        C("blnActive", BOOLEAN),
        C("ROPLoc", TEXT),
        C("intCalDetainDays", TEXT),
        C("intCalINSAsyPDays", TEXT),
        C("intCalINSAsyMDays", TEXT),
        C("intCalINSDays", TEXT),
        C("intCalEOIRDays", TEXT),
        C("intCalCFRDays", TEXT),
        C("intCalCDRDays", TEXT),
        C("CircuitCourt", TEXT),
        C("blnPrnWksOnAdd", BOOLEAN),
        C("blnPrnRopOnAdd", BOOLEAN),
    ),
    "tblLookupBaseCity": (
        C("idnBaseCity", INTEGER),
        C("BASE_CITY_CODE", TEXT),
        C("BASE_CITY_NAME", TEXT),
        C("BaseAutomated", TEXT),
        C("BASE_ST_ADDRESS", TEXT),
        C("BASE_CITY", TEXT),
        C("BASE_STATE", TEXT),
        C("BASE_ZIP_1", TEXT),
        C("BASE_ZIP_2", TEXT),
        C("BASE_PHONE_NO", TEXT),
        C("strRegion", TEXT),
        C("BaseEoir1Flag", TEXT),
        C("BaseEoir1Code", TEXT),
        C("BaseEoir1Suba", TEXT),
        C("BaseEoir1Subb", TEXT),
        C("BaseEoir1Subc", TEXT),
        C("BaseEoir1Subd", TEXT),
        C("BaseEoir1Sube", TEXT),
        C("BaseEoir1Subf", TEXT),
        C("BaseEoir2Flag", TEXT),
        C("BaseEoir2Code", TEXT),
        C("BaseEoir2Suba", TEXT),
        C("BaseEoir2Subb", TEXT),
        C("BaseEoir2Subc", TEXT),
        C("BaseEoir2Subd", TEXT),
        C("BaseEoir2Sube", TEXT),
        C("BaseEoir2Subf", TEXT),
        C("BaseEoir5Flag", TEXT),
        C("BaseEoir5Code", TEXT),
        C("BaseEoir5Suba", TEXT),
        C("BaseEoir5Subb", TEXT),
        C("BaseEoir5Subc", TEXT),
        C("BaseEoir5Subd", TEXT),
        C("BaseEoir5Sube", TEXT),
        C("BaseEoir5Subf", TEXT),
        C("BaseEoir6Flag", TEXT),
        C("BaseEoir6Code", TEXT),
        C("BaseEoir6Suba", TEXT),
        C("BaseEoir6Subb", TEXT),
        C("BaseEoir6Subc", TEXT),
        C("BaseEoir6Subd", TEXT),
        C("BaseEoir6Sube", TEXT),
        C("BaseEoir6Subf", TEXT),
        C("BaseEoir7Flag", TEXT),
        C("BaseEoir7Code", TEXT),
        C("BaseEoir7Suba", TEXT),
        C("BaseEoir7Subb", TEXT),
        C("BaseEoir7Subc", TEXT),
        C("BaseEoir7Subd", TEXT),
        C("BaseEoir7Sube", TEXT),
        C("BaseEoir7Subf", TEXT),
        C("BaseEoir34Flag", TEXT),
        C("BaseEoir34Code", TEXT),
        C("BaseEoir34Suba", TEXT),
        C("BaseEoir34Subb", TEXT),
        C("BaseEoir34Subc", TEXT),
        C("BaseEoir34Subd", TEXT),
        C("BaseEoir34Sube", TEXT),
        C("BaseEoir34Subf", TEXT),
        C("BaseEoir35Flag", TEXT),
        C("BaseEoir35Code", TEXT),
        C("BaseEoir35Suba", TEXT),
        C("BaseEoir35Subb", TEXT),
        C("BaseEoir35Subc", TEXT),
        C("BaseEoir35Subd", TEXT),
        C("BaseEoir35Sube", TEXT),
        C("BaseEoir35Subf", TEXT),
        C("BaseEoir36Flag", TEXT),
        C("BaseEoir36Code", TEXT),
        C("BaseEoir36Suba", TEXT),
        C("BaseEoir36Subb", TEXT),
        C("BaseEoir36Subc", TEXT),
        C("BaseEoir36Subd", TEXT),
        C("BaseEoir36Sube", TEXT),
        C("BaseEoir36Subf", TEXT),
        C("BaseEoir39Flag", TEXT),
        C("BaseEoir39Code", TEXT),
        C("BaseEoir39Suba", TEXT),
        C("BaseEoir39Subb", TEXT),
        C("BaseEoir39Subc", TEXT),
        C("BaseEoir39Subd", TEXT),
        C("BaseEoir39Sube", TEXT),
        C("BaseEoir39Subf", TEXT),
        C("I122Flag", TEXT),
        C("I122Code", TEXT),
        C("I122Suba", TEXT),
        C("I122Subb", TEXT),
        C("I122Subc", TEXT),
        C("I122Subd", TEXT),
        C("I122Sube", TEXT),
        C("I122Subf", TEXT),
        C("RopDefault", TEXT),
        C("RopPrtClass", TEXT),
        C("BaseSplPrtClass", TEXT),
        C("datCreatedOn", DATE),
        C("datModifiedOn", DATE),
        C("blnActive", BOOLEAN),
        C("blnBCIS", BOOLEAN),
    ),
}

_PRIMARY_KEYS: Final[dict[str, str]] = {
    "A_TblCase": "idncase",
    "B_TblProceeding": "idnproceeding",
    "tbl_Court_Appln": "idnproceedingappln",
    "tbl_RepsAssigned": "idnrepsassigned",
    "tbl_CustodyHistory": "idncustody",
    "tblAppeal": "idnappeal",
}

TABLES: Final[dict[str, Table]] = {
    **{
        stem: Table(stem, "core", cols, _PRIMARY_KEYS.get(stem))
        for stem, cols in _CORE_COLUMNS.items()
    },
    **{stem: Table(stem, "lookup", cols) for stem, cols in _LOOKUP_COLUMNS.items()},
}
"""Every table AsylumLens knows column by column. Other tables found in a release are
loaded too, typed by the naming conventions in :func:`kind_from_name`."""

# Tables of the release known by name only (NOTES.md sections 1.1, 1.2 and 1.4: the 2026
# file lists, plus EOIRDB_Schema and tblAction of older releases). They are loaded, typed
# by EOIR's naming habits (:func:`kind_from_name`), since their columns are not listed here.
_NAMED_CORE: Final = (
    "A_TblCaseIdentifier", "B_TblProceedCharges", "tbl_schedule", "tbl_Court_Motions",
    "D_TblAssociatedBond", "tblAppeal2", "tblAppealFedCourts", "tblThreeMbrReferrals",
    "tblProBono", "tbl_CasePriorityHistory", "tbl_EOIR_Attorney", "tbl_JuvenileHistory",
    "tbl_Lead_Rider", "EOIRDB_Schema", "tblAction",
)  # fmt: skip
_NAMED_LOOKUPS: Final = (
    "tblLookupAlienNat", "tblLookupJudgeBaseCity", "tblDecCode", "tblLookup_CasePriority",
    "tblAdjournmentcodes", "tbllookupCharges", "tblLookup3MbrReferredReason",
    "tblLookUpAllegationStmt", "tblLookupAppealIssues", "tbllookupAppealType",
    "tblBarCodeType", "tblLookupBIA", "tblLookupBIADecision", "tblLookup_BIACluster",
    "tblLookupBIADecisionType", "tblLookupBoardMotions", "tbl_br_DeductCodes",
    "tbllookupCal_Type", "tblLookupCallup_Reasons", "tblLookUpCaseIdentifier",
    "tbllookup_Category", "tblLookupClaimedIssue", "tblLookupCommentTypeBoard",
    "tblLookupComponents", "tblLookupConsultedWith", "tblLookupContactChange",
    "tblLookupCountry", "tblLookUpDDDecisionTypes", "tblLookupDistrictLocation",
    "tblLookupFedCourtDecision", "tblLookupFedCourtRemandTo", "tblLookupFeeStatus",
    "tblLookupFeeType", "tblLookupFiledBy", "tblLookupFiling_Method",
    "tblLookupFiling_Method_Party", "tblLookupFinalDisposition", "tblLookupHoldReason",
    "tblLookupHolidays", "tblLookupInTrPr", "tblLookupInTrPrAgenda",
    "tblLookupInTrPrLangGroup", "tblLookupInmate", "tblInmateHousing",
    "tblLookup_INS_Clock_Entry_Status", "tblLookUpINSAddress", "tblLookupINSLOC",
    "tblINSoffice", "tblLookupINSTA", "tblLookupIntrPrLang", "tblLookup_Juvenile",
    "tblLookupMotionType", "tblLookupNOTICE", "tblLookupOAResponse",
    "tblLookupOfficeLocation", "tblPanels", "tblLookupPriority", "tblLookupRegion",
    "tblResponsibleParty", "tbllookupSchedule_Type", "tblLookupService_Method",
    "tblLookupSpecialIssue", "tblLookupState", "tblTeams", "tblTortureConvID",
    "tblLookupTranscribers", "tblLookupVote",
)  # fmt: skip

RELEASE_TABLES: Final[dict[str, str]] = {
    **{stem: t.folder for stem, t in TABLES.items()},
    **dict.fromkeys(_NAMED_CORE, "core"),
    **dict.fromkeys(_NAMED_LOOKUPS, "lookup"),
}
"""Every table a release may hold, by its canonical stem -> its folder (``core`` beside
``A_TblCase``, ``lookup`` in ``Lookup/``). A file whose name is none of these (compared
case-insensitively) is no table: it is recorded, never read. Store folders and DuckDB view
names are only ever these stems."""

CORE_TABLES: Final = ("A_TblCase", "B_TblProceeding", "tbl_Court_Appln")
"""The tables every release must hold, and that must mostly load: the grant rates need them."""

CORE_FOLDER: Final = "EOIR Case Data"
LOOKUP_FOLDER: Final = "Lookup"
COUNT_FILE: Final = "Count.txt"


def kind_from_name(header_name: str) -> Kind:
    """Type a column of a table this module does not list, from EOIR naming habits.

    ``idn*`` keys are integers, ``dat*`` and ``*_DATE`` are datetimes, ``bln*`` are bits.
    Anything else stays text, which is always safe.
    """
    key = normalise_name(header_name)
    if key.startswith("idn"):
        return Kind.INTEGER
    if key.startswith("dat") or key.endswith("_date"):
        return Kind.DATE
    if key.startswith("bln"):
        return Kind.BOOLEAN
    return Kind.TEXT


@dataclass(frozen=True)
class LookupRef:
    """Where a code column's valid values are listed: (lookup stem, code column key)."""

    table: str
    column: str


# Code columns checked against the release's own lookups at ingest. A code absent from
# its lookup is kept as it is and counted, never dropped.
CODE_LOOKUPS: Final[dict[tuple[str, str], LookupRef]] = {
    ("A_TblCase", "nat"): LookupRef("tblLookupNationality", "nat_code"),
    ("A_TblCase", "lang"): LookupRef("tblLanguage", "strcode"),
    ("A_TblCase", "custody"): LookupRef("tblLookupCustodyStatus", "strcode"),
    ("A_TblCase", "case_type"): LookupRef("tblLookupCaseType", "strcode"),
    ("B_TblProceeding", "base_city_code"): LookupRef("tblLookupBaseCity", "base_city_code"),
    ("B_TblProceeding", "hearing_loc_code"): LookupRef("tblLookupHloc", "hearing_loc_code"),
    ("B_TblProceeding", "ij_code"): LookupRef("tblLookupJudge", "judge_code"),
    ("B_TblProceeding", "nat"): LookupRef("tblLookupNationality", "nat_code"),
    ("B_TblProceeding", "lang"): LookupRef("tblLanguage", "strcode"),
    ("B_TblProceeding", "custody"): LookupRef("tblLookupCustodyStatus", "strcode"),
    ("B_TblProceeding", "case_type"): LookupRef("tblLookupCaseType", "strcode"),
    ("tbl_Court_Appln", "appl_code"): LookupRef("tblLookUp_Appln", "strcode"),
    ("tbl_Court_Appln", "appl_dec"): LookupRef(
        "tblLookupCourtAppDecisions", "strcourtapplndeccode"
    ),
}

# Parent links checked at ingest: (child table, child key) -> (parent table, parent key).
# Orphans are kept and counted.
PARENT_LINKS: Final[dict[tuple[str, str], tuple[str, str]]] = {
    ("B_TblProceeding", "idncase"): ("A_TblCase", "idncase"),
    ("tbl_Court_Appln", "idnproceeding"): ("B_TblProceeding", "idnproceeding"),
    ("tbl_Court_Appln", "idncase"): ("A_TblCase", "idncase"),
    ("tbl_RepsAssigned", "idncase"): ("A_TblCase", "idncase"),
    ("tbl_CustodyHistory", "idncase"): ("A_TblCase", "idncase"),
    ("tblAppeal", "idncase"): ("A_TblCase", "idncase"),
}

# Application codes and decisions that matter for asylum outcomes (NOTES.md section 3).
ASYLUM_APPLICATION_CODES: Final = ("ASYL", "ASYW", "WCAT")
APPLICATION_DECISIONS: Final[dict[str, str]] = {
    "G": "GRANT",
    "F": "FULL GRANT",
    "C": "CONDITIONAL GRANT",
    "I": "IN COURT STIPULATED GRANT",
    "P": "PAPER STIPULATED GRANT",
    "D": "DENY",
    "L": "GRANT WCAT",
    "A": "ABANDONMENT",
    "W": "WITHDRAWN",
    "M": "NOT ADJUDICATED",
    "O": "OTHER",
    "S": "ADMIN CLOSURE",
    "R": "RESERVED",
    "T": "COV/TRANSFER",
}
CASE_TYPES: Final[dict[str, str]] = {
    "AOC": "Asylum Only Case",
    "CDR": "Continued Detention Review",
    "CFR": "Credible Fear Review",
    "CSR": "Claimed Status Review",
    "DCC": "Departure Control",
    "DDC": "DD Appeal",
    "DEP": "Deportation",
    "EXC": "Exclusion",
    "NAC": "NACARA Adjustment",
    "REC": "Rescission",
    "RFR": "Reasonable Fear Case",
    "RMV": "Removal",
    "WHO": "Withholding Only",
}
CUSTODY_CODES: Final[dict[str, str]] = {"D": "Detained", "R": "Released", "N": "Never Detained"}

# Tokens that stand for "no value" in typed (non-text) columns. In text columns they are
# kept: 'N/A' is a real CASEPRIORITY_CODE and '??' a real nationality code.
NULL_TOKENS: Final = ("N/A", "??", "NULL")

# Dates outside this range are EOIR sentinels (1900-01-01, 2925-...), not events.
PLAUSIBLE_YEARS: Final = (1950, 2035)
