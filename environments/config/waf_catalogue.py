"""What AWS WAF offers and costs: managed rule groups, statement capacities (WCU), prices; data only.

Sources (AWS WAF developer guide and pricing):
https://docs.aws.amazon.com/waf/latest/developerguide/aws-managed-rule-groups-list.html (capacities, sub-rules),
https://docs.aws.amazon.com/waf/latest/developerguide/waf-rule-statements-list.html (statement WCU),
https://docs.aws.amazon.com/waf/latest/developerguide/waf-rule-statement-type-rate-based.html (rate windows, limit),
https://aws.amazon.com/waf/pricing/ (capacity above 1,500 WCU).
"""

from __future__ import annotations

import enum
import math

#: The evaluation windows a rate-based statement accepts (``evaluation_window_sec``).
RATE_WINDOWS_SECONDS: tuple[int, ...] = (60, 120, 300, 600)
#: AWS's bounds for a rate-based statement's ``limit`` (requests per window per IP).
RATE_LIMIT_MINIMUM = 10
RATE_LIMIT_MAXIMUM = 2_000_000_000

#: Web ACL capacity included in the base price, and the hard ceiling per web ACL.
INCLUDED_CAPACITY_WCU = 1500
MAXIMUM_CAPACITY_WCU = 5000
#: AWS WAF pricing above the included capacity: this many US dollars per million
#: requests for each started block of ``EXTRA_CAPACITY_BLOCK_WCU`` beyond 1,500.
EXTRA_CAPACITY_BLOCK_WCU = 500
EXTRA_CAPACITY_USD_PER_MILLION_REQUESTS_PER_BLOCK = 0.20

# Rule statement costs (waf-rule-statements-list.html).
WCU_RATE_BASED = 2  # per-IP aggregation, no scope-down statement
WCU_GEO_MATCH = 1
WCU_IP_SET_REFERENCE = 1
WCU_XSS_MATCH = 40
WCU_SQLI_MATCH = 20  # sensitivity LOW (the default; HIGH costs 30)
WCU_PER_TEXT_TRANSFORMATION = 10
WCU_REGEX_MATCH = 3
WCU_SIZE_CONSTRAINT = 1

#: How much of a body WAF sees in front of API Gateway without an AssociationConfig (16 KB); a larger body is
#: cut there, so a size limit above it must read the Content-Length header
#: (https://docs.aws.amazon.com/waf/latest/developerguide/web-request-body-inspection.html).
BODY_INSPECTION_LIMIT_BYTES = 16 * 1024

#: ISO 3166-1 alpha-2: every officially assigned code (249).
ISO_COUNTRY_CODES: frozenset[str] = frozenset(
    """
    AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT BV BW
    BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE EG EH ER ES ET FI
    FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN
    IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME
    MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF
    PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV
    SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS YE
    YT ZA ZM ZW
    """.split()  # noqa: SIM905 - 249 codes read best as a text table
)


class ManagedRuleGroup(enum.Enum):
    """AWS managed rule groups (vendor ``AWS``), each with its fixed capacity and its sub-rules.

    The value is AWS's group name. Each member also carries ``wcu`` (fixed by AWS),
    ``default_priority`` and ``default_rule_name`` (its slot in the web ACL: cheap IP
    checks run first) and ``sub_rules`` (the latest static version's rules, the names an
    override or exclusion may use).

    COMMON: the core rule set (XSS, LFI/RFI, SSRF, size restrictions, bad bots).
    KNOWN_BAD_INPUTS: Log4j/Log4Shell, Java deserialization, exploitable paths.
    SQLI: SQL injection in query, body, cookies and path.
    IP_REPUTATION: Amazon threat intelligence (bots, reconnaissance, DDoS sources).
    ANONYMOUS_IP: VPNs, Tor, proxies and hosting providers. Off by default: it also
        matches legitimate server-to-server callers hosted in the cloud.
    """

    wcu: int
    default_priority: int
    default_rule_name: str

    def __new__(cls, aws_name: str, wcu: int, priority: int, rule_name: str) -> ManagedRuleGroup:
        member = object.__new__(cls)
        member._value_ = aws_name
        member.wcu, member.default_priority, member.default_rule_name = wcu, priority, rule_name
        return member

    COMMON = "AWSManagedRulesCommonRuleSet", 700, 40, "aws-common"
    KNOWN_BAD_INPUTS = "AWSManagedRulesKnownBadInputsRuleSet", 200, 30, "aws-known-bad-inputs"
    SQLI = "AWSManagedRulesSQLiRuleSet", 200, 50, "aws-sqli"
    IP_REPUTATION = "AWSManagedRulesAmazonIpReputationList", 25, 20, "aws-ip-reputation"
    ANONYMOUS_IP = "AWSManagedRulesAnonymousIpList", 50, 25, "aws-anonymous-ip"

    @property
    def sub_rules(self) -> tuple[str, ...]:
        return tuple(_SUB_RULES[self.name].split())


_SUB_RULES = {
    "COMMON": """NoUserAgent_HEADER UserAgent_BadBots_HEADER SizeRestrictions_QUERYSTRING SizeRestrictions_Cookie_HEADER
        SizeRestrictions_BODY SizeRestrictions_URIPATH EC2MetaDataSSRF_BODY EC2MetaDataSSRF_COOKIE
        EC2MetaDataSSRF_URIPATH EC2MetaDataSSRF_QUERYARGUMENTS GenericLFI_QUERYARGUMENTS GenericLFI_URIPATH
        GenericLFI_BODY RestrictedExtensions_URIPATH RestrictedExtensions_QUERYARGUMENTS GenericRFI_QUERYARGUMENTS
        GenericRFI_BODY GenericRFI_URIPATH CrossSiteScripting_COOKIE CrossSiteScripting_QUERYARGUMENTS
        CrossSiteScripting_BODY CrossSiteScripting_URIPATH""",
    "KNOWN_BAD_INPUTS": """JavaDeserializationRCE_HEADER JavaDeserializationRCE_BODY JavaDeserializationRCE_URIPATH
        JavaDeserializationRCE_QUERYSTRING Host_localhost_HEADER PROPFIND_METHOD ExploitablePaths_URIPATH
        Log4JRCE_HEADER Log4JRCE_QUERYSTRING Log4JRCE_BODY Log4JRCE_URIPATH""",
    "SQLI": """SQLi_QUERYARGUMENTS SQLiExtendedPatterns_QUERYARGUMENTS SQLi_BODY SQLiExtendedPatterns_BODY SQLi_COOKIE
        SQLi_URIPATH""",
    "IP_REPUTATION": "AWSManagedIPReputationList AWSManagedReconnaissanceList AWSManagedIPDDoSList",
    "ANONYMOUS_IP": "AnonymousIPList HostingProviderIPList",
}


def extra_capacity_cost_usd_per_million_requests(budget_wcu: int) -> float:
    """What AWS charges on top, per million requests, for a web ACL allowed ``budget_wcu``."""
    blocks = math.ceil(max(0, budget_wcu - INCLUDED_CAPACITY_WCU) / EXTRA_CAPACITY_BLOCK_WCU)
    return round(blocks * EXTRA_CAPACITY_USD_PER_MILLION_REQUESTS_PER_BLOCK, 2)
