"""Danger concepts: the short, hand-kept list that makes a request urgent whatever else decides it.

A learned model catches most emergencies, but a missed fire costs more than a false alarm, and the
service must still raise an emergency when no model could load. So the duty map's list of dangers
(fire, smoke, gas, sparks, someone trapped, flooding, violence, an intruder now, a child or an
elderly person in danger or missing, a person collapsed or hit, someone about to jump, a structure
about to fall) is kept here as concepts, each a few patterns in Chinese and English. These are
names of the danger, never fragments of one labelled sentence: a concept earns its place by the
guide, not by a case it fixes.

A concept found is ignored when the words around it say it is not happening now: negated ("没有
燃气味", "no smell of gas"), in the past ("上周漏过水", "last week"), solved ("已经修好了",
"fixed now"), hypothetical or about a procedure ("万一着火怎么办", "fire drill"), or a suggestion.
Pure: no I/O.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

import zhconv

HAN = re.compile(r"[\u3400-\u9fff]")
_LATIN = re.compile(r"[a-z]")
# Escapes (\w, \b...) and group openers: their letters are a pattern's syntax, not English.
_SYNTAX = re.compile(r"\\.|\(\?(?:<[!=]|[:!=])")


@dataclass(frozen=True)
class Scripts:
    """Which scripts a text holds: a Chinese pattern can only match where there are Han characters,
    an English one only where there are Latin letters."""

    han: bool
    latin: bool

    @classmethod
    def of(cls, text: str) -> Scripts:
        return cls(HAN.search(text) is not None, _LATIN.search(text) is not None)


class Patterns:
    """Alternatives that mean one thing, compiled for speed without changing what they match.

    Compiled apart by script, so a request in one language runs only its own (Python's regular
    expressions try every alternative at every position: running both languages' cost a Chinese
    request twice). Each alternative is in one script only. And the English ones are rewritten by
    `word_initial_first` into a form the engine rejects faster: with the word cache, routing an
    English request takes about half the instructions it did.
    """

    def __init__(self, *alternatives: str) -> None:
        for alternative in alternatives:
            if HAN.search(alternative) and _LATIN.search(_SYNTAX.sub("", alternative)):
                raise ValueError(f"one script per alternative: {alternative!r}")
        self.alternatives = alternatives
        han = [a for a in alternatives if HAN.search(a)]
        latin = [a for a in alternatives if not HAN.search(a)]
        self._han = re.compile("|".join(f"(?:{a})" for a in han)) if han else None
        self._latin = word_initial_first(*latin) if latin else None

    def _for(self, scripts: Scripts) -> list[re.Pattern[str]]:
        chosen = [(self._han, scripts.han), (self._latin, scripts.latin)]
        return [pattern for pattern, present in chosen if pattern is not None and present]

    def search(self, text: str, scripts: Scripts) -> bool:
        return any(pattern.search(text) for pattern in self._for(scripts))

    def finditer(self, text: str, scripts: Scripts) -> list[re.Match[str]]:
        found = [m for pattern in self._for(scripts) for m in pattern.finditer(text)]
        return sorted(found, key=lambda m: m.start())

    def sub(self, replacement: str, text: str, scripts: Scripts) -> str:
        for pattern in self._for(scripts):
            text = pattern.sub(replacement, text)
        return text


_WORD_INITIAL = re.compile(r"\\b(?=[a-z])")
# A piece whose first character is a letter it must have: not optional, not repeated.
_PLAIN_FIRST = re.compile(r"[a-z0-9 '-](?![?*+{])")
# A character class: "]" first stands for itself, and escapes are skipped.
_CLASS = re.compile(r"\[\^?\]?(?:\\.|[^\]\\])*\]")


def word_initial_first(*alternatives: str) -> re.Pattern[str]:
    """`(?:a|b)c|d|\\be` as `\\b(?:e(?:))|a(?:c)|b(?:c)|d(?:)`: the same matches, found faster.

    At each position of a text the engine tries every alternative, but rejects at once one that
    starts with a letter the text does not have there; one that starts with a group or with `\\b`
    it enters. So a leading group is multiplied out (`(?:a|b)c` is `ac|bc`, tried in the same
    order), the alternatives that start a word are gathered under one `\\b`, entered only where
    a word starts, and both kinds are grouped behind their first letters (`_by_first_letter`).
    Moving a word-initial alternative ahead of another can only change which of two matches at one
    position is reported; on the corpus and the evaluation sets none changed."""
    initial: list[str] = []
    other: list[str] = []
    for piece in (p for a in alternatives for c in _top_level_choices(a) for p in _multiplied(c)):
        if _WORD_INITIAL.match(piece):
            initial.append(piece[2:])
        else:
            other.append(piece)
    gathered = [r"\b(?:" + _by_first_letter(initial) + ")"] if initial else []
    return re.compile("|".join(gathered + ([_by_first_letter(other)] if other else [])))


def _by_first_letter(pieces: list[str]) -> str:
    """`sa|b|sc` as `s(?:a|c)|(?:b)`: the pieces that start with one plain letter behind that letter,
    so that the engine tries one group at a position, not every piece. Pieces with different first
    letters never match at one position, so grouping them keeps each match; a piece that starts
    otherwise (a class, an escape, an optional letter) keeps its place after them."""
    groups: dict[str, list[str]] = {}
    rest: list[str] = []
    for piece in pieces:
        if _PLAIN_FIRST.match(piece):
            groups.setdefault(piece[0], []).append(piece[1:])
        else:
            rest.append(piece)
    grouped = [f"{first}(?:{'|'.join(tails)})" for first, tails in groups.items()]
    return "|".join(grouped + [f"(?:{piece})" for piece in rest])


def _multiplied(piece: str) -> list[str]:
    """`(?:a|b)c` as ["ac", "bc"], again while a piece starts with such a group; any other piece,
    and a group with a quantifier (`(?:a|b)?c`), as it is."""
    if not piece.startswith("(?:"):
        return [piece]
    close = next(i for i, depth in _structure(piece) if depth == 0)
    rest = piece[close + 1 :]
    if rest[:1] in ("?", "*", "+", "{"):
        return [piece]
    return [m for choice in _top_level_choices(piece[3:close]) for m in _multiplied(choice + rest)]


def _top_level_choices(pattern: str) -> list[str]:
    """`a|(?:b|c)|[|]` as ["a", "(?:b|c)", "[|]"]: split at the bars outside groups and classes."""
    bars = [i for i, depth in _structure(pattern, "|") if depth == 0]
    return [pattern[i + 1 : j] for i, j in zip([-1, *bars], [*bars, len(pattern)], strict=True)]


def _structure(pattern: str, wanted: str = ")") -> list[tuple[int, int]]:
    """Where `wanted` ("|" or ")") stands in `pattern` outside escapes and character classes, and
    how many groups are open around it (a ")" counts as outside the group it closes)."""
    found: list[tuple[int, int]] = []
    depth, i = 0, 0
    while i < len(pattern):
        char = pattern[i]
        if char == "\\":
            i += 1
        elif char == "[" and (klass := _CLASS.match(pattern, i)):
            i = klass.end() - 1
        elif char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        if char == wanted:
            found.append((i, depth))
        i += 1
    return found


def _rx(*alternatives: str) -> Patterns:
    return Patterns(*alternatives)


# Names of equipment and paperwork that contain a danger word but are not a danger: a blocked fire
# exit, a smoke detector that beeps, a gas bill. They are blanked out before the concepts are looked for.
_NOT_A_DANGER = _rx(
    r"烟感|烟雾报警器?|燃气报警器?|火灾报警器?|消防(?:栓|通道|门|器材|设施|设备|车道|演练|检查|喷淋|水带|箱)",
    r"灭火器|防火门|燃气费|煤气费|燃气卡|燃气表(?!.{0,8}(?:嘶嘶|咝咝|丝丝|呲呲|哧哧)|.{0,20}臭鸡蛋)|抽烟|吸烟|烟头|烟味|烟花|防盗|漏电保护|打火机|喷泉|喷水池|洒水|防汛",
    r"smoke (?:alarm|detector)s?|fire (?:alarm|exit|door|lane|escape|extinguisher|hydrant|safety|drill|inspection|code)s?",
    r"gas (?:bill|fee|card|payment|top.?up)s?|fireworks?|smoking (?:area|room|ban|sign)|no smoking|cigarettes?(?: smoke)?",
    r"flood (?:prevention|season|barriers?)|pouring (?:with )?rain|lighters?",
    # Fire-fighting's vehicles, routes and equipment, and a risk named as a risk.
    r"消防(?:车|队|安全|隐患|系统|疏散)|火灾隐患|安全隐患|疏散集合点|救护车(?:都|也)?(?:进不来|过不去|开不进)|救护车(?:的)?通道",
    r"fire (?:trucks?|engines?|brigade|department|service|hose(?: reel)?s?|cabinets?|hazards?|risks?|system|assembly)",
    # Bleeding a radiator is maintenance; sewer gas is a drain's smell; spraying for pests is cleaning.
    r"(?:radiators?|heaters?|heating).{0,60}bleed\w*|bleed\w* (?:the |my |a )?radiators?|needs? (?:air )?bleeding|air[- ]bleed\w*",
    r"(?:下水|地漏|存水弯|水槽|洗手池|洗菜池|马桶|化粪池|污水|排水)[^。]{0,10}臭鸡蛋(?:的)?味?",
    r"sewer gas|(?:lawn|garden|grass) sprinklers?|spraying (?:for |against )?(?:pests?|insects?|mosquito\w*|roach\w*)|needs? spraying",
    # Smoke that is someone's cooking, barbecue or cigarette (with the smoke said after the smoker);
    # paper and leaves burnt on purpose.
    r"\b(?:people|someone|somebody|they|he|she|guys?|men|neighbou?rs?|residents?|workers?|staff|kids|teenagers|tenants|drivers|cleaners|guards)(?:'s| is| are)? (?:\w+ ){0,2}smok(?:es?|ing)\b(?:.{0,80}\bsmoke\b)?",
    # Snow that melts, and a panic attack, are not a melting socket or an assault.
    r"melt\w* (?:snow|ice)|(?:snow|ice) (?:is |has |had )?melt\w*|panic attacks?",
    # A machine's arm is not a person's.
    r"(?:door|closer|barrier|gate|crane|robot|swing|mechanical|wiper) arms?",
    r"(?:barbecu\w*|bbq|grill\w*).{0,80}\bsmoke",
    r"(?:烧烤|烤串|炭火|烤肉).{0,30}烟",
    r"(?:barbecue|bbq|cooking|cigarette|incense)\w* smoke|smoke from (?:\w+'s |the |my |their )?(?:barbecue|bbq|cooking|kitchen|cigarettes?)",
    r"burning (?:joss |paper|incense|offerings?|leaves)\w*|(?:nearly|almost) (?:gave|give|had) me a heart attack",
    r"吓出心脏病",
    # A car that cannot leave is not a person trapped; a toilet cistern that keeps running is not a flood.
    r"(?:cars?|parked|park\w*|blocked|snow)\b.{0,60}(?:can'?t|cannot) get out",
    r"车.{0,3}困在",
    r"(?:马桶|水箱)[^，,。]{0,8}哗哗",
    # After a storm, rainwater standing in public areas is cleaning's (the duty map), not a flood.
    r"(?:rain|storm|puddle)\w*.{0,60}ankle.deep|ankle.deep.{0,40}(?:rain|storm)",
    # A harm that may happen one day.
    r"(?:可能|容易|会|怕)[^，,。]{0,3}受伤",
)

# A hazard where children are this moment, a kind of "child or elderly in danger": glass, needles
# or a swarm, and children playing, running or barefoot in it now. Where they play on other days,
# or before they come out, it is the cleaning's ordinary work. Each piece is used in both orders.
_HAZARD_ZH = "(?:碎玻璃|玻璃碴|玻璃渣|玻璃片|瓶渣|碎瓶子|碎酒瓶|针头|针管|注射器|马蜂|黄蜂|胡蜂|蜂子|蜂群|野蜂)"
_CHILDREN_ZH = "(?:孩子|小孩|小朋友|儿童|娃|伢|宝宝)"
_IN_IT_NOW_ZH = (
    "(?:在玩|正在|光脚|光着脚|跑来跑去|乱跑|在爬)(?!.{0,10}(?:天天|每天|经常|平时|有时|常常))"
)
_HAZARD_EN = (
    r"(?:broken glass|glass (?:shards|everywhere|all over)|shards|syringes?|needles|hornets?|wasps?"
    r"|swarm\w*)"
)
_CHILDREN_EN = r"\b(?:kids|children|child|kid|toddlers?|babies|little ones)\b"
_ARE_PLAYING_EN = r"(?:are|'re|is|'s) (?:\w+ ){0,2}(?:playing|running|crawling)"
_ARE_IN_IT_EN = r"(?:are|'re|is|'s) (?:\w+ ){0,2}(?:playing|running|crawling|barefoot|out)"
_NOT_USUALLY_EN = r"(?!.{0,30}\b(?:sometimes|every ?day|usually|often|always|all the time)\b)"

_CONCEPTS: tuple[tuple[str, Patterns], ...] = (
    (
        "fire",
        _rx(
            r"着火|起火|失火|火(?:挺|很|好|太|特别)大|火(?:还|也)?(?:没有?)(?:灭|熄|扑灭)|火灾|明火|火苗|火势|大火|烧起来|烧着了|烧到|在烧|燃烧|点着了|引燃",
            r"\bfire\b|\bon fire\b|flames?\b|\bablaze\b|(?<!no )\bburning\b(?! smell)|caught fire",
        ),
    ),
    (
        "smoke",
        _rx(
            r"冒烟|浓烟|黑烟|白烟|烟雾|全是烟|烟(?:好|很|太|特别|老)大|烟大得|(?:走廊|楼道|楼梯间?|屋里|房间|车库|地库)(?:里)?.{0,3}(?:雾蒙蒙|白茫茫|灰蒙蒙)|一股烟|(?:一股|一阵|一大股)[^，。,.!！？?]{1,6}的烟(?![花头草酒感味])|烟.{0,2}浓得|冒黑烟|(?:有|一层|一些|薄薄的|好多|很多|有点|大量)烟(?![花头草酒感味])",
            r"\bsmoke\b|\bsmoky\b|smoulder\w*|smolder\w*|(?:box|boxes|cardboard|rubbish|trash|garbage|bins?|paper|mattress|sofa|curtains?|cables?|motor|battery|batteries|e-?bikes?|scooters?)\b.{0,25}\bsmoking\b|\b(?:haze|hazy|fumes)\b.{0,30}(?:socket|outlet|plug|switch|panel|cabinet|box|meter|wiring)|(?:socket|outlet|plug|switch|panel|cabinet|box|meter|wiring)s?\b.{0,30}\b(?:haze|hazy|fumes)\b|(?:socket|outlet|plug|wire|wiring|switch|panel|box|meter|heater|charger|fan|appliance)s?\b.{0,30}\bsmoking|smoking from",
        ),
    ),
    (
        "burning smell",
        _rx(
            r"烧焦|焦味|糊味|焦糊|烧(?:电线|塑料|胶皮|橡胶)|电线.{0,4}烧|(?:插座|插头|开关|电线|电箱).{0,6}(?:熔|融)化",
            r"burning smell|smell(?:s|ing)? (?:of |like )?burn|smells? burnt|(?:hot|electrical|electric) (?:\w+ )?smell"
            r"|(?:socket|outlet|plug|wire|wiring|cable|switch|charger|plastic|insulation|cover)s?\b.{0,50}\bmelt(?:ing|ed)\b"
            r"|\bmelt(?:ing|ed)\b.{0,30}\b(?:socket|outlet|plug|wire|wiring|cable|switch|charger|plastic|insulation)",
        ),
    ),
    (
        "gas",
        _rx(
            r"(?:燃气|煤气|天然气)(?:表|灶|管)?.{0,12}臭鸡蛋|黄(?:色的?)?(?:管子|管道|管)(?:(?!不|没).){0,10}(?:味|漏|泄|嘶)|(?:燃气|煤气|天然气|液化气|然气|燃汽|煤汽)(?:(?!不|没).){0,10}(?:味|漏|泄|嘶嘶)|(?:燃气|煤气|天然气)位(?!置)|漏气.{0,4}(?:燃气|煤气|天然气)|臭鸡蛋(?:的)?味|一氧化碳.{0,10}(?:叫|响|报警)|(?:头(?:有点|有些|好|很)?(?:疼|痛|晕)|晕乎|恶心).{0,20}(?:燃气|煤气|热水器)|(?:燃气|煤气|热水器).{0,20}(?:头(?:有点|有些|好|很)?(?:疼|痛|晕)|晕乎|恶心)|臭鸡蛋.{0,20}(?:燃气|煤气|灶|表|嘶)|臭鸡蛋.{0,12}(?:越来越|冲|浓|呛|头晕|不敢)|(?:嘶嘶|咝咝).{0,15}(?:味|气)|(?:燃气|煤气|天然气)(?:表|管|管道|阀门?|灶|罐)?.{0,10}(?:嘶嘶|咝咝|丝丝|呲呲|哧哧)|(?:嘶嘶|咝咝|丝丝|呲呲|哧哧).{0,20}(?:呛|臭|冲鼻)|(?:味|气).{0,30}(?:不敢(?:开|按|碰|打|点)(?:灯|电灯|开关|火)|(?:灯|火|开关)(?:也|都)?不敢(?:开|按|碰|打|点))",
            r"\bgas\b.{0,20}(?:leak|smell|hiss)|\bgas (?:pipe|meter|valve|line|main|joint|tap)s?\b[^.!?;]{0,40}(?<!no )(?<!not )(?<!without )\b(?:smell|stink|reek|hiss)|(?:smell|stink|reek|odou?r)\w*.{0,25}\bgas\b|rotten eggs?.{0,40}(?:gas|meter|hiss|stove|cooker)|(?:gas|meter|hiss\w*|stove|cooker).{0,60}rotten eggs?|hiss\w*.{0,30}(?:pipe|meter|valve|cooker|stove)|(?:pipe|meter|valve|cooker|stove).{0,25}hiss\w*"
            r"|(?:smell|odou?r|stink)\w*.{0,60}(?:(?:afraid|scared|too scared|daren'?t|don'?t dare) to (?:turn|switch|flick|light)|(?:didn'?t|not|won'?t|daren'?t) (?:turn|switch)\w* (?:on )?(?:the |any )?lights?|(?:don'?t|do not|not to|shouldn'?t) (?:press|touch|flick|turn on|switch on) (?:the |any )?(?:\w+ )?(?:buttons?|switch(?:es)?|lights?))|\b(?:stove|cooker|hob)(?:'s)? (?:smell|stink|odou?r)|(?:smell|stink|reek)\w* (?:of|from) (?:the |that |a )?(?:stove|cooker|hob)\b|yellow (?:gas )?pipes?.{0,40}(?:smell|stink|hiss|leak)|(?:smell|stink|odou?r)\w*.{0,40}yellow (?:gas )?pipes?|carbon monoxide|\bco (?:alarm|detector).{0,20}(?:going off|beeping|sounding)|sulph?ur|sulfur|(?:dizzy|headache|nause\w*).{0,40}smell|smell.{0,40}(?:dizzy|headache|nause\w*)",
        ),
    ),
    (
        "sparks / live wires",
        _rx(
            r"火花|打火|冒火|电线.{0,4}(?:裸露|外露|掉|露在外|露出)|电线.{0,10}(?:断|耷拉|垂|拖)(?:了|下来|着)?.{0,6}(?:在|到|落)(?:地上|地下|地面|水里|水上|路上)|(?:裸露|外露).{0,3}电线|触电|带电|被电(?:到|了)|电到人|漏电|电(?:了我|我)一下|麻手|手(?:一下?)?(?:就|都|有点)?麻(?!烦)|(?:碰|摸|触|掂)(?:到|了|落去|落)?.{0,6}麻(?!烦|将|辣|油|酱)|(?:俾|畀|被)电(?:亲|到)"
            r"|(?:灯|灯具|开关|插座|电箱|配电箱|电表箱|电井|电闸箱?|闸箱).{0,6}(?:进水|积水|滴水|渗水|流水|有水|(?:都|全)是水|(?:积|灌)满了?水)"
            r"|(?:顺着|沿着).{0,3}(?:吊灯|灯|灯具|灯座|灯线|开关|插座).{0,4}(?:流|淌|滴|漏)(?!.{0,20}(?:不敢开|关了|关掉|没开|拉了?闸))"
            r"|(?:进水|积水|滴水|渗水|漏水).{0,6}(?:灯具|开关|插座|电箱|配电箱|电表箱|电井|电闸箱?|闸箱)"
            r"|(?:电表箱|电箱|配电箱|开关|插座|电闸|电井).{0,10}(?:啪啪|噼啪|噼里啪啦|闪光|闪火|冒火)|灯.{0,10}(?:噼啪|噼里啪啦)|(?:滴|渗|流|漏)(?:到|进)了?(?:我家|家里)?(?:灯|开关|插座|电箱|配电箱|电表箱|电闸箱?|闸箱)",
            r"\bspark\w*|(?:exposed|live|bare|hanging) (?:electric(?:al)? )?(?:wires?|cables?)|(?:wires?|cables?).{0,12}(?:hanging|sticking|poking) out|(?:wires?|cables?)(?: are| is)? (?:all )?(?:out(?! of)|exposed)\b|electric(?:al)? shock|gave (?:me|her|him|us|them|my \w+) (?:a |an )?(?:\w+ )?shock|(?:socket|outlet|switch|plug|tap|heater|appliance)s?.{0,40}\bshock|(?:socket|outlet|switch|panel|box|meter|wire|wiring|plug)s?.{0,40}(?:crackl\w*|fizz\w*|arcing|flash\w*)|electrocut\w*|got shocked|\bshocked me|\btingle"
            r"|water.{0,30}(?:light (?:fittings?|fixtures?)|sockets?|fuse ?box|outlets?|consumer unit)|(?:running|dripping|pouring|coming|leaking) (?:down|into|thr(?:ough|u)|out of|from) (?:the |a |our |my |his |her |their )?(?:\w+ )?(?:light (?:fittings?|fixtures?)|ceiling lights?|lamps?|sockets?|fuse ?box|outlets?)(?!.{0,80}\b(?:turned|switched|shut) (?:\w+ ){0,2}off\b)|(?:light (?:fittings?|fixtures?)|sockets?|switch(?:es)?|fuse ?box|outlets?).{0,20}(?:dripping|water)",
        ),
    ),
    (
        "trapped",
        _rx(
            r"被困|困住|困在|困人|困(?:了)?电梯|关在.{0,6}(?:电梯|里)|卡在.{0,6}(?:电梯|中间|里)|(?:电梯|轿厢).{0,12}出不(?:来|去)|(?:电梯|轿厢).{0,30}(?:(?:还|都)?在里(?:面|头)|里面(?:还)?有人)|在(?:电梯|轿厢)里.{0,20}(?:不动|停了|停住|停(?:在)?半(?:路|空|中|截)|卡住|门(?:也)?(?:不开|打不开|开不了))",
            r"\btrapped\b|stuck (?:in|inside) (?:the |a )?(?:lift|elevator)|(?:lift|elevator).{0,60}\b(?:inside|in there|in it)\b|(?:in|inside) (?:the |a )?(?:lift|elevator).{0,40}(?:won'?t (?:move|open)|(?:doors?|it) (?:won'?t|doesn'?t|can'?t) open|not moving|stopped (?:between|halfway|midway))|(?:can't|cannot|can not) get out|locked (?:in|inside)|\b(?:i'?m|i am|we'?re|we are) (?:\w+ )?stuck\b(?=.{0,60}\b(?:lift|elevator)\b)|(?:lift|elevator)\b.{0,60}\b(?:i'?m|i am|we'?re|we are) (?:\w+ )?stuck\b"
            # People shut in somewhere whose doors will not open, whatever the place is called
            # ("we are 6 people stuck in the left number 2, doors won't open").
            r"|\b(?:we|people|persons|of us|i'?m|i am)\b.{0,20}\bstuck (?:in|inside)\b.{0,60}\bdoors? (?:won'?t|will not|doesn'?t|does not|don'?t|can'?t|cannot) open",
        ),
    ),
    (
        "open lift shaft",
        _rx(
            r"(?:电梯|梯)门.{0,6}(?:开着|打开|敞着|开了).{0,30}(?:没有?(?:轿厢|电梯)|轿厢.{0,6}(?:没|不)在|黑洞洞|空的|井道)|(?:电梯井|井道).{0,6}(?:敞开|敞着|开着|露着|没门)",
            r"(?:lift|elevator) doors?.{0,30}\bopen.{0,40}(?:no (?:car|cabin|lift)\b|(?:car|cabin) (?:isn'?t|is not|not) there|empty shaft|just (?:the |a )?shaft|into the shaft)|open (?:lift |elevator )?shaft",
        ),
    ),
    (
        "flooding",
        _rx(
            r"爆管|(?:水管|管子|管道|管|暖气片?|水龙头|阀门).{0,8}(?:爆|裂开|崩)|水.{0,3}(?<![不没唔冇])(?:喷|涌|灌|滋|呲|飙)|水.{0,15}往.{0,8}(?:灌|涌)|雨.{0,6}(?:灌|涌)进|喷水|水柱|往外(?:喷|涌|滋|呲|飙)|淹|漫(?:出|到|进|了)|止不住|哗哗"
            r"|水.{0,4}(?:一直|不停|直)往下(?:流|冲|淌)|往下(?:冲|灌|浇)|(?:漏|水|往下).{0,8}(?:跟|像)下(?:大)?雨(?:似的|一样)|大量进水|(?:脏水|污水|水).{0,8}(?:一直|不停)往外(?:冒|涌|流)|(?:水|脏水|污水).{0,12}(?:流到|漫到|淹到)了?(?:客厅|卧室|房间|屋里|走廊)|水.{0,12}楼梯.{0,8}(?:往下|一路)?(?:流|淌|冲)|(?:喷|冒).{0,3}(?:蒸汽|热汽|热气)|蒸汽"
            r"|(?:桶|盆).{0,12}(?:几|一|两|三|半|\d+)分钟(?:就|都)?(?:接)?满|(?:屋里|家里|店里|房间里|屋头)(?:在)?下(?:大)?雨",
            r"\bburst\b|\bflood(?!light)\w*|pouring|gushing|spraying|spurting|squirting|overflowing (?:into|thr(?:ough|u)|down)|water everywhere|ankle.deep|waterfall|cascading"
            r"|water\b.{0,40}\b(?:everywhere|(?:very|so|too) fast|non.?stop|won'?t stop|not stopping|can'?t stop)"
            r"|water\b.{0,60}\b(?:still (?:coming in|pouring|flowing in|rising)|keeps? (?:pouring|rising))"
            r"|(?:tank|cistern|pipe|water heater)s?.{0,10}overflow\w*|water\b.{0,20}(?:running|streaming|flowing|coming|rushing|pouring|cascading) down (?:the |our |my )?(?:stairs|stairwell|staircase|steps)|\bsteam\b"
            # Water told by how fast it comes: raining indoors, like a tap left on upstairs, a
            # bucket full in minutes.
            r"|(?:ceiling|roof)\b.{0,20}\braining\b|raining (?:inside|indoors|in(?:to)? (?:the |my |our )?(?:room|flat|apartment|shop|kitchen|bathroom|house|lounge|bedroom))"
            r"|like (?:somebody|someone) (?:has |had )?(?:open(?:ed)?|turn(?:ed)? on|left on) a tap"
            r"|buckets?\b.{0,30}\b(?:full|fills?|filling|overflow\w*)\b.{0,15}\b(?:in|every|within) (?:a |one |two |\d+ |few |a few )?(?:min(?:ute)?s?|seconds?|secs?)\b",
        ),
    ),
    (
        "violence / weapon",
        _rx(
            r"打架|打人|打(?:他|她)?(?:的)?(?:老婆|老公|媳妇|女朋友|男朋友)|(?:拽|揪|扯)着(?:她的?|他的?)?头发|斗殴|殴打|动手了|持刀|持械|拿(?:着)?(?:刀|棍|铁棍|棒子|砖头?|斧|酒瓶)|砍人|捅人|家暴|行凶|(?:扬言|说要|威胁|要)(?:烧|杀|砍|捅|弄死|打死)(?:死|了)?(?:我|你|他|她|我们|我家|全家)",
            r"\bfight(?:ing)?\b|\battack\w*|\bbeating\b|\bpunch\w*|\bknife\b|\bweapon\b|\bgun\b|(?:iron|metal) (?:bar|pipe|rod)|\bmachete|\baxe\b|\bassault\w*|\bthreaten\w* (?:\w+ ){0,8}with (?:a |an |his |her )?(?:\w+ )?(?:hammer|bat|stick|bottle|brick|screwdriver|scissors|cleaver|club|bar|pipe|chain)s?\b|\b(?:swing\w*|wav\w*) (?:a |an |his |her )?(?:\w+ )?(?:hammer|bat|stick|bottle|brick|cleaver|club|chain)s?\b"
            r"|\b(?:hitting|kicking|slapping|strangling|choking|beating up) (?:my|his|her|their|our|a|an|the|this|that) (?:old |elderly |little |young |pregnant )?(?:father|dad|mother|mum|mom|wife|husband|son|daughter|child|kid|boy|girl|man|woman|lady|guy|neighbou?r|guard|cleaner|worker|grand\w+|baby)\b|\b(?:is|are|was|keeps?) (?:hitting|kicking|slapping|strangling|choking) (?:him|her|me|them|people|everyone)\b"
            r"|\b(?:he|she|they)(?:'ll| will|'s going to|'re going to| (?:is|are) going to|'s gonna|'re gonna| (?:is|are) gonna) (?:burn|kill|stab|hurt|beat|cut|set fire to) (?:my|me|us|you|him|her|them|our|everyone|everybody)\b|\bthreaten\w* to (?:burn|kill|stab|hurt|beat|cut|set fire to) (?:my|me|us|you|him|her|them|our|everyone|everybody)\b",
        ),
    ),
    (
        "intruder now",
        _rx(
            r"(?:正在|在)(?:撬|翻窗|爬窗|偷)|有人.{0,4}(?:撬|闯进|闯入|翻进)|翻(?:过|越)?(?:围墙|墙|栅栏|护栏|围栏|铁栏杆?)进(?:来|了|入)|(?:小偷|贼|陌生人).{0,6}(?:还在|正在|在里面|在我家|进了我家)"
            r"|砸(?:车)?窗|(?:砸|踹|踢)(?:我家|我们家|他家|别人家)?(?:的)?门|(?:撬|捅|拧|拨弄)(?:我家|我们家|我)?(?:的)?门?锁|跟踪我|尾随我|一直跟着我|(?:陌生|不认识的?).{0,6}跟着我|爬(?:落水管|排水管|水管|空调外机).{0,10}(?:窗|阳台|楼)"
            r"|(?:我家|我们家|我屋企)(?:的)?(?:阳台|院子)(?:上|里)有(?:个|一个)?(?:陌生|不认识的?)?人|有(?:个|一个)?(?:陌生|不认识的?)?人.{0,6}(?:在|爬上|爬进|跳进|翻进)(?:我家|我们家)(?:的)?(?:阳台|院子)",
            r"\bintruder|break(?:ing)? in\b|breaking into|trying to (?:break|get) in|burglar|(?:someone|somebody|stranger|a man).{0,20}in(?:side)? my (?:home|house|flat|apartment)|(?:someone|somebody|a stranger|a man|a guy) (?:is )?(?:on|in) (?:my|our) (?:balcony|garden|yard|terrace)"
            r"|(?:breaking|smashing) (?:car |the )?windows?|(?:kick|smash|batter)\w* (?:at |in )?(?:the |my |our |a |their |his |her |someone'?s )?(?:front )?doors?\b|(?:climbed|climbing|jumped|jumping) (?:over )?the (?:wall|fence) (?:into|and (?:got|came) in)|(?:is|keeps?) following me|(?:scrap|fiddl|jimm|pry|forc|tamper)\w* (?:with |at )?(?:our|my|the|his|her) (?:front )?(?:lock|door)|(?:climb\w*|crawl\w*|got|getting) in(?:to)? (?:thr(?:ough|u) |by |via )?(?:a |the |my |our |\w+'s )?(?:ground.floor |kitchen |bedroom |back |open )?windows?|climb\w* (?:up )?(?:a |the )?(?:drain ?pipe|drainpipe|wall|balcony|scaffolding).{0,20}window"
            r"|(?:torch|flashlight)(?:es)? (?:moving|shining|flashing|flickering|going) (?:around |about )?(?:in|inside|behind|thr(?:ough|u))\b",
        ),
    ),
    (
        "child or elderly in danger",
        _rx(
            r"(?:孩子|小孩|儿童|小朋友|宝宝|婴儿|儿子|女儿|老人|老太太|老大爷|老爷爷|奶奶|爷爷|外婆|姥姥).{0,10}(?:掉下|摔下|爬上|悬空|窗台|窗外|阳台外|落水|溺水|困|卡住|走丢|走失|跑丢|不见了|没影了|跑没影|找不到)"
            r"|(?:老年痴呆|阿尔茨海默|痴呆|失智|糊涂|迷糊).{0,20}(?:不见|走失|走丢|找不到|走出|出去|没回来|没回家)|(?:不见了|走失|走丢|找不到|没回来|不接电话).{0,30}(?:老年痴呆|阿尔茨海默|痴呆|失智|糊涂|迷糊)|(?:孩子|小孩|宝宝|婴儿).{0,8}(?:锁在|关在|留在)车里"
            r"|(?:孩子|小孩|小朋友|儿子|女儿|老人|奶奶|爷爷|外婆|姥姥|外公|姥爷).{0,14}(?:还没回来|还没回家|没有回来|没有回家|到现在没回)|(?:帮忙|帮我|帮我们|快)(?:找|找找|寻找)(?:一下)?(?:我|我们)?(?:家)?的?(?:孩子|小孩|儿子|女儿|老人|奶奶|爷爷|外婆|姥姥|外公|姥爷)"
            rf"|{_HAZARD_ZH}.{{0,40}}{_CHILDREN_ZH}.{{0,12}}{_IN_IT_NOW_ZH}"
            rf"|{_CHILDREN_ZH}.{{0,12}}{_IN_IT_NOW_ZH}.{{0,30}}{_HAZARD_ZH}"
            r"|(?:一个人住|独居|自己住).{0,30}(?:没人接|不接电话|敲门没(?:人)?(?:应|开)|没(?:有)?(?:人)?回应)|(?:老人|奶奶|爷爷|外婆|姥姥|外公|姥爷|老太太|老大爷).{0,20}(?:一个人住|独居|自己住).{0,30}(?:没人接|不接|敲门没(?:人)?(?:应|开)|没(?:有)?(?:人)?回应)",
            r"(?:child|kid|toddler|baby|boy|girl|son|daughter|\b\d{1,2} ?(?:yo|y/o|yrs?|years? old|year-old)\b|elderly|old (?:man|woman|lady)|grand(?:ma|pa|mother|father)|granny).{0,30}(?:fell|fallen|falling|stuck|trapped|locked in|climb\w*|drown\w*|ledge|missing|lost(?! (?:his|her|their|my|a|an|the|its|our|your)\b)|wander\w*|on (?:the |a )?roof\b|jumping (?:off|from|to|between|across))"
            r"|(?:dementia|alzheimer\W?s?).{0,40}(?:wander\w*|missing|lost|gone|walked out|left|went out)"
            r"|(?:wander\w*|missing|lost|gone|walked out|went out|(?:isn'?t|not) answering|(?:isn'?t|not|hasn'?t come) back).{0,80}(?:dementia|alzheimer)"
            r"|(?:inside|in) (?:a |the )?locked car|locked in (?:a |the )?car|left (?:alone )?in (?:a |the )?(?:hot )?car"
            # Missing, told without the word: nobody can find them, they slipped away or have not
            # come back, and the owner asks for a search.
            r"|(?:can'?t|cannot|can not|couldn'?t) find (?:my|our|his|her) (?:little |young |\d{1,2}.years?.old )?(?:child|kid|toddler|baby|boy|girl|son|daughter|grand(?:ma|pa|mother|father|son|daughter)|granny)\b(?!'s)"
            r"|(?:child|kid|toddler|twins?|boy|girl|son|daughter|\b\d{1,2} ?(?:yo|y/o|yrs?|years? old|year-old)\b|grand(?:ma|pa|mother|father|son|daughter)|granny|elderly|old (?:man|woman|lady))(?!'s).{0,60}(?:got out of (?:the |our )?(?:flat|house|apartment|home)|(?:has|have|had)(?:n'?t| not) (?:come|been) (?:back|home)|nowhere to be (?:found|seen)|no ?(?:one|body) (?:has |have )?seen (?:him|her)\b|(?:can'?t|cannot|can not|couldn'?t) find (?:him|her|them)\b|slipped away|disappeared|vanished|not seen (?:him|her) since)"
            # A hazard where children are this moment (`_HAZARD_EN`).
            rf"|{_HAZARD_EN}.{{0,120}}{_CHILDREN_EN}.{{0,40}}(?:{_ARE_IN_IT_EN}\b|running around|(?:getting|being) stung|right now|at the moment){_NOT_USUALLY_EN}"
            rf"|{_CHILDREN_EN}.{{0,40}}{_ARE_PLAYING_EN}\b{_NOT_USUALLY_EN}.{{0,60}}{_HAZARD_EN}"
            r"|(?:lives?|living) (?:on (?:his|her) own|alone).{0,80}(?:not answering|isn'?t answering|no answer|(?:doesn'?t|does not|won'?t) answer|not picking up|(?:hasn'?t|has not) answered)|(?:not answering|isn'?t answering|no answer|(?:doesn'?t|does not|won'?t) answer|not picking up).{0,80}(?:lives?|living) (?:on (?:his|her) own|alone)"
            r"|\b(?:look|search)\w* for (?:my|our) (?:little |young |\d{1,2}.years?.old )?(?:child|kid|toddler|baby|boy|girl|son|daughter|grand(?:ma|pa|mother|father|son|daughter)|granny)\b(?!'s)"
            r"|(?:child|kid|toddler|boy|girl|son|daughter|\b\d{1,2} ?(?:yo|y/o|yrs?|years? old|year-old)\b).{0,120}\b(?:look|search)\w* for (?:him|her)(?= ?(?:[,.!?]|and\b|please\b|now\b|right now|everywhere|around|$))",
        ),
    ),
    (
        "collapsed / injured",
        _rx(
            r"晕倒|昏倒|倒地|倒在地|躺在地上|昏迷|不省人事|起不来|站不起来|叫不醒|(?:梯子|楼梯|台阶|屋顶).{0,3}摔下来|(?<![扶把拉])(?:腿|胳膊|手臂|手腕)(?:好像|可能)?(?:断了|骨折)|流血|流了?(?:很多|好多|一地|满脸|一身)?(?:的)?血|骨折|抽搐|没有?呼吸|心脏病|胸口(?:疼|痛|闷)|捂着胸口|救护车|受伤|(?:人|老人|孩子|小孩|他|她)被.{0,4}(?:车|电动车|摩托车?)撞",
            r"collaps\w* (?:on|in|at|and)|\bcollapsed\b(?! (?:on|in|at|and)\b)|\b(?:he|she|man|woman|person|someone|somebody|guy|lady|student|kid|child|boy|girl|neighbou?r|resident|worker|cleaner|guard|rider|dad|mum|mom|father|mother|grand\w+|wife|husband|uncle|aunt\w*) (?:has |just |suddenly )?collapsed\b"
            r"|\b(?:man|woman|person|someone|somebody|guy|lady|he|she|kid|child|boy|girl|rider|neighbou?r|resident|worker)\b.{0,20}\b(?:lying|laying|lies) (?:on|at|in|face down)\b|\bfainted\b|unconscious|not breathing|bleeding|\binjured\b|badly hurt|ambulance|heart attack|(?:holding|clutching|grabbing) (?:his|her|their|my) chest|chest pains?|seizure|passed out"
            r"|on the (?:ground|floor) (?:and )?(?:can'?t|cannot|not moving|holding)|(?:can'?t|cannot|can not) (?:stand|get up|move (?:his|her|my))|not waking|(?:he|she|they|person|man|woman|neighbou?r)\b.{0,20}not responding|unresponsive|won'?t wake"
            r"|knocked (?:off|down|over) (?:his|her|their|the)? ?(?:scooter|bike|feet)|(?:fell|fallen) (?:off|from|down) (?:a |the )?(?:ladder|stairs|roof|scaffold\w*|balcony)|(?:leg|arm|wrist|ankle|hip) (?:looks |is |seems )?broken|broken (?:leg|arm|hip)|(?:hit|knocked down|run over) by (?:a |the )?(?:car|scooter|bike|van|truck|vehicle)",
        ),
    ),
    (
        "thrown from height",
        _rx(
            r"(?:还在|正在|一直在|又在)(?:从楼上|从上面|从窗户|从阳台|从楼顶)?往下(?:扔|丢|砸|抛)",
            r"(?:being|getting) (?:thrown|dropped|tossed|chucked) (?:off|from|out of|down from)\b"
            r"|\b(?:someone|somebody|people|kids|he|she|they)(?: is| are|'s|'re)? (?:throwing|dropping|tossing|chucking) (?:\w+ ){0,3}(?:off|from|out of|down from) (?:the |a |their |his |her )?(?:roof|top|window|balcony|building|floor)"
            r"|\b(?:someone|somebody|people|kids|he|she|they)(?: is| are|'s|'re)? (?:\w+ )?(?:throwing|dropping|tossing|chucking) (?:\w+ ){0,3}(?:from|down from) (?:upstairs|above|up there)",
        ),
    ),
    (
        "self-harm",
        _rx(
            r"跳楼|要跳|想跳|轻生|自杀|站在(?:楼顶|天台|顶楼|窗台|阳台).{0,4}边",
            r"\bjump(?:ing)? off (?:the |a |his |her |their |our )?(?:roof|building|balcony|bridge|ledge|top|window|tower)|going to jump|about to jump|suicid\w*|kill (?:him|her|my)sel(?:f|ves)|standing on the (?:roof )?(?:edge|ledge)",
        ),
    ),
    (
        "structure falling",
        _rx(
            r"坍塌|塌了|塌下|要塌|快塌|摇摇欲坠|(?:挡土墙|护坡|围墙|土坡|山坡|石头|泥土|土石).{0,10}(?:往下(?:滑|掉|冲|滚)|往外(?:倒|倾|歪|鼓))|(?:外墙|瓷砖|玻璃|广告牌|雨棚|雨篷|檐篷|石屎|水泥|天花板|吊顶|阳台).{0,20}(?:掉下|坠落|砸|要掉|快掉|(?<![未冇])跌(?:落|下))|(?:窗框|窗扇|整扇窗|整个窗).{0,30}(?:掉下|坠落|砸|要掉|快掉|吹掉|吹下)",
            r"caving in|cave[ds]? in|about to (?:fall|collapse|come down)|(?:dirt|mud|soil|earth|rocks?|stones?|boulders?)\b.{0,30}\b(?:sliding|slipping|tumbling|rolling|pouring|coming) down|(?:retaining wall|wall|slope|bank|embankment)\b.{0,20}\b(?:leaning|bulging|tilting) out|(?:ceiling|wall|balcony|tiles?|glass|sign|canopy).{0,25}(?:falling|collaps\w*|coming down|came down|fell)|(?:window frame|whole window).{0,50}(?:blow|fall|com)(?:e|ing)? (?:out|off|down)|(?:pane|window|glass)\b.{0,30}\bhalf out of (?:its|the) frame|bricks?\b.{0,20}\b(?:dropping|falling|coming) (?:off|down)|(?:window|frame|pane|glass|shutter|panel|sign|board|canopy|awning|gutter)s?\b.{0,30}\bhanging (?:from|by|on) (?:one|a single|its last|the last|a) (?:hinge|bolt|screw|corner|wire|thread)",
        ),
    ),
)

# Every concept's alternatives in one: most requests hold none, and one pass over them says so.
_ANY_CONCEPT = Patterns(*(a for _, concept in _CONCEPTS for a in concept.alternatives))

# What puts a danger out of the present. Clause-level: the words must stand in the danger's clause.
_NEGATED_BEFORE = _rx(
    r"(?:没有|没|无|未|不|并非|不再|唔|冇)[^\s，,]{0,2}$",
    r"(?:\b(?:no|not|never|without|no longer)|n't)(?:\W+\w+)?(?:\W+(?:or|nor)(?:\W+\w+)?)?$",
    r"\b(?:nobody|no one|nothing|none)(?:'s)?(?:\W+\w+){0,2}$",
    r"没(?:有)?人[^\s，,]{0,2}$",
)
_PAST = _rx(
    r"上周|上礼拜|昨晚|昨日|前晚|上次|上回|上个月|去年|前几天|前些天|前(?:两|三)天|前些日子|前阵子|那次|以前|之前|曾经|(?<!比)(?<!从)昨天|(?<!比)前天|过的那次",
    r"\d{1,2}月\d{1,2}[日号]",
    r"\bon (?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]* \d|last (?:week(?:end)?|month|year|time|night|winter|spring|summer|autumn|fall|christmas|new year|chinese new year|spring festival|national day|holidays?|(?:mon|tues|wednes|thurs|fri|satur|sun)day)|\bin (?:jan|febr)uary\b|\bin (?:march|april|june|july|august|september|october|november|december)\b|over (?:the )?(?:holidays|new year|spring festival)|(?<!than )(?<!since )yesterday|(?:days?|weeks?|months?|years?) ago\b|previously|\bearlier\b|used to|the other day",
)
# Whole-request markers: solved, hypothetical, a procedure, a drill or a suggestion.
_SETTLED = _rx(
    r"已经?(?:修好|处理好|解决|灭了|好了|没事)|修好了|处理好了|现在没事|不用(?:派人|来人|过来)|现在好了|早就好了|虚惊一场|是误报",
    r"fixed now|been fixed|was fixed|is fixed|(?:was |been |is )?(?:resolved|sorted)|all fine now|fine now|no longer"
    r"|turned out (?:to be )?(?:fine|ok|okay|nothing|a false alarm)|false alarm|(?:is|it'?s|all) dry now|all ok(?:ay)? now",
)
# Someone gone ("现在已经走了", "人都走了") settles the dangers that were a person's doing, not a gas
# pipe or a water pipe that person left drilled through ("装修工人把燃气管钻穿了，他们人已经走了").
_GONE = _rx(r"(?:现在|已经|人都)(?:人)?走了")
_PEOPLES_DOING = frozenset({"violence / weapon", "intruder now", "thrown from height"})
_AGAIN = _rx(
    r"又|再次|还在|正在|一直|开始|到现在|依然|仍然",
    r"\bagain\b|\bstill\b|right now|\bnow it\b|\bsince\b|\bkeeps?\b",
)
# A question is about no danger now by the words of procedures, drills, praise or suggestions, said
# anywhere in it; a plea for advice alone ("该怎么办", "what should we do?") ends as many emergencies
# happening now as it does questions about procedures, so it sets nothing aside.
_NOT_REAL = _rx(
    r"(?<!不是)(?<!并非)(?:演练|演习)|培训|预案|流程|步骤|规定|须知|知识|讲座|宣传|建议|提议|是否有|有没有.{0,6}(?:预案|措施)",
    r"第一步|表扬|想感谢|要感谢",
    r"praise for|(?:want|would like) to thank|(?<!not a )(?<!n't a )(?<!no )\bdrill\b|training|procedure|evacuation plan|what (?:should|would) (?:residents|people|owners|tenants) do|suggest|recommend|would it be possible to install|\bfake (?:\w+ )?(?:gunshots?|blood|fire|smoke|flames?)|film(?:ing)? (?:crew|shoot)",
)
# A condition ("如果", "万一", "if", "in case") makes hypothetical the dangers of its own clause and
# of the clauses after it ("万一电梯困人了怎么办", "what do we do if there's a fire"). A danger told in
# a clause before it stands: what follows is the owner's fear of where it leads ("电梯门开着，轿厢不在
# 这一层，万一有人走进去咋办", "the socket is smoking, what if it catches fire").
_CONDITION = _rx(
    r"如果|万一|假如|假设|要是|(?<!说)的话|真要",
    r"\bif(?<!sure if)(?<!wonder if)(?<!ondering if)(?<!see if)(?<!check if)(?<!know if)(?<!ask if)(?<!sking if)(?<!grateful if)(?<!ppreciate it if)(?<!ppreciated if) (?:a|an|the|there|there'?s|it|we|someone|i|you|my|our|ever)\b|in case|what (?:do|can) (?:i|we|you) do (?:if|when)\b|what (?:should|would) (?:we|i) (?:actually )?do (?:if|when|in case|in (?:a|an|the event))\b",
)
# How far from a danger word "again" or "still" may stand and still bring an old danger back to now.
AGAIN_REACH = 6
_SENTENCE = re.compile(r"[。！？!?；;\n]|\.(?=\s|$)")
_CLAUSE = re.compile(_SENTENCE.pattern + r"|，|,(?=\s)|(?<=[\u3400-\u9fff]),")


@dataclass(frozen=True)
class Danger:
    """What the concept list saw: the dangers found now (empty when none) and why others were set aside."""

    found: tuple[str, ...]  # e.g. ("gas: 燃气味",)
    set_aside: str | None = None  # "solved", "hypothetical", ... when the request said so

    @property
    def urgent(self) -> bool:
        return bool(self.found)

    @property
    def settled(self) -> bool:
        """Whether the request said its dangers are not happening now: the model's own urgency
        yields to that too. A fear of where a present report leads (`FEARED`) says no such thing."""
        return self.set_aside is not None and self.set_aside != FEARED


def concepts(text: str) -> list[str]:
    """The names of the danger concepts present now, as tokens a model can weigh (e.g. "trapped")."""
    return [found.split(":", 1)[0].replace(" ", "_") for found in assess(text).found]


# Phones type "can’t" (a right single quotation mark) where the corpus and the patterns have
# "can't"; NFKC keeps the two apart.
_APOSTROPHES = str.maketrans({"\u2018": "'", "\u2019": "'", "\u02bc": "'"})


@lru_cache(maxsize=1024)
def normalize(text: str) -> str:
    """Full-width to half-width, lower case, one apostrophe and simplified characters, so "ＦＩＲＥ"
    and "fire" are one word, "can’t" and "can't" too, and so are "電梯" and "电梯": owners from
    Hong Kong, Macau and Taiwan write traditional characters, which the corpus and the concepts, in
    simplified ones, would not otherwise read.
    Characters only (`zh-hans`), never one region's words for another's. Kept for a while: routing
    one request reads its text normalized five times."""
    folded = unicodedata.normalize("NFKC", text).lower().translate(_APOSTROPHES)
    return zhconv.convert(folded, "zh-hans") if HAN.search(folded) else folded


def not_now(text: str) -> str | None:
    """Why the whole request is not about a danger happening now, or None."""
    norm = normalize(text)
    return _not_now(norm, Scripts.of(norm))


HYPOTHETICAL = "hypothetical or procedure"
# The request reports something in its first clause and only then fears where it leads: "万一", or
# "if it goes", "if someone leans on it" ("the window has cracked right across, if it goes it lands
# on the entrance"), not a question about a danger that is not there, and not a polite "if someone
# finds them" or "in case".
FEARED = "a fear of where the report leads"
_FEAR = _rx(
    r"(?<!以防)万一",
    r"\bif (?:it|that|this|they|the \w+|someone|somebody|anyone|a (?:kid|child)|kids|people) (?:\w+ )?(?:goes|go|falls?|gives? way|comes? (?:down|off|loose|out)|collapses?|breaks?|drops?|leans? on it|slips?)\b",
)
GONE = "the person is gone"


def _not_now(norm: str, scripts: Scripts) -> str | None:
    if _NOT_REAL.search(norm, scripts) or _CONDITION.search(norm, scripts):
        return HYPOTHETICAL
    if _AGAIN.search(norm, scripts):
        return None
    if _SETTLED.search(norm, scripts):
        return "solved"
    if _GONE.search(norm, scripts):
        return GONE
    return None


def _feared(norm: str, scripts: Scripts) -> bool:
    """Whether the first condition is a fear, told after the request's first clause."""
    condition = _CONDITION.finditer(norm, scripts)
    fear = _FEAR.finditer(norm, scripts)
    clause = _CLAUSE.search(norm)
    return (
        bool(condition and fear)
        and fear[0].start() == condition[0].start()
        and clause is not None
        and clause.end() <= condition[0].start()
        and not _SETTLED.search(norm, scripts)
    )


@lru_cache(maxsize=4096)
def assess(text: str) -> Danger:
    """The danger concepts present now in `text`."""
    norm = normalize(text)
    scripts = Scripts.of(norm)
    # Read before the equipment names are blanked: a "fire drill" is a drill, not a fire.
    reason = _not_now(norm, scripts)
    by_condition_alone = reason == HYPOTHETICAL and not _NOT_REAL.search(norm, scripts)
    if by_condition_alone and _feared(norm, scripts):
        reason = FEARED
    norm = _NOT_A_DANGER.sub(" ", norm, scripts)
    found, past = _present(norm, scripts) if _ANY_CONCEPT.search(norm, scripts) else ([], False)
    if found and reason == GONE:
        # Only what the person did goes with them.
        found = [(name, end) for name, end in found if name.split(":")[0] not in _PEOPLES_DOING]
        return Danger(tuple(name for name, _ in found)) if found else Danger((), reason)
    if found and reason is not None:
        condition = _CONDITION.finditer(norm, scripts) if by_condition_alone else []
        # Only a condition set them aside: the dangers told in clauses before it still stand.
        told_first = [name for name, end in found if condition and end <= condition[0].start()]
        return Danger(tuple(told_first)) if told_first else Danger((), reason)
    return Danger(tuple(name for name, _ in found), reason or ("past" if past else None))


def _present(norm: str, scripts: Scripts) -> tuple[list[tuple[str, int]], bool]:
    """The concepts found now, each with where its words and their clause end, and whether one was
    set aside as past."""
    # A concept may span clauses ("电梯停了，我妈在里面"). Negation is read in the clause where the
    # danger word stands; the past from the start of its sentence, since the time is said once
    # ("昨天傍晚车棚那边有人烧东西，烟很大"); "again" and "still" next to the danger bring it back.
    bounds = [0, *(m.end() for m in _CLAUSE.finditer(norm)), len(norm)]
    sentences = [0, *(m.end() for m in _SENTENCE.finditer(norm))]
    found: list[tuple[str, int]] = []
    past = False
    for name, pattern in _CONCEPTS:
        for match in pattern.finditer(norm, scripts):
            start = max(b for b in bounds if b <= match.start())
            end = min(b for b in bounds if b > match.start())
            if _NEGATED_BEFORE.search(norm[start : match.start()].rstrip()[-12:], scripts):
                continue
            near = norm[
                max(start, match.start() - AGAIN_REACH) : min(end, match.end() + AGAIN_REACH)
            ]
            sentence = norm[max(b for b in sentences if b <= match.start()) : end]
            if _PAST.search(sentence, scripts) and not _AGAIN.search(near, scripts):
                past = True
                continue
            found.append((f"{name}: {match.group(0).strip()[:24]}", max(end, match.end())))
            break
    return found, past
