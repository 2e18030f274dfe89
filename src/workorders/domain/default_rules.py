"""The shape of a routing rule, the rules a new property starts with, and the signs of an emergency.

The shape lives here rather than in routing.py so that this data module needs nothing from the
router (routing.py imports DEFAULT_RULES for its default argument; the reverse would be circular).
Rules are plain frozen data so that they can be stored, edited and compared as values.

Why the order is what it is (first match wins):

1. Emergencies, so that a category or a complaint never hides a danger.
2. Complaints about the service itself: "投诉维修师傅态度很差" names a repair, wants a manager.
3. Suggestions: "建议电梯加装空调" is an idea for customer service, not a broken lift.
4. Cross-topic rules whose words are strong evidence even against the caller's category
   ("电梯里有呕吐物", "消防通道被电动车堵死了", "空调外机噪音大而且不制冷").
5. The caller's own category: a deliberate choice beats our generic keyword guesses below it.
6. Administration and plain questions, then each department's generic word families, security
   and cleaning before engineering because their words ("车位", "垃圾") are more specific than
   engineering's ("门", "灯", "水").
7. Fallbacks on the kind of request, so that a bare complaint or question still reaches a person.

Keyword lists are written as space-separated words only to keep them readable as data.
"""

from __future__ import annotations

from dataclasses import dataclass

from workorders.domain.dispatch import Strategy
from workorders.domain.taxonomy import CATEGORIES, Kind, Priority, Queue


@dataclass(frozen=True)
class Pair:
    """Two words that say something together wherever they stand: any subject and any action.

    Owners put words between the thing and what it does ("狗整夜叫", "树枝被风刮断了"), so a
    family of such sentences is one pair, not a list of every phrasing.
    """

    subjects: tuple[str, ...]
    actions: tuple[str, ...]

    def __post_init__(self) -> None:
        if not self.subjects or not self.actions:
            raise ValueError("a pair needs at least one subject and one action")


@dataclass(frozen=True)
class When:
    """Conditions of a rule; every condition given must hold, and an empty When always holds.

    The text condition (keywords and pairs) holds when any keyword or any pair is found.
    """

    categories: tuple[str, ...] = ()
    kinds: tuple[Kind, ...] = ()
    keywords: tuple[str, ...] = ()  # any-of Chinese substrings in title+description
    exclude_keywords: tuple[str, ...] = ()  # none of these may appear
    channels: tuple[str, ...] = ()
    hours: tuple[int, int] | None = None  # [start, end) local hours, may wrap midnight e.g. (22, 6)
    pairs: tuple[Pair, ...] = ()
    buildings: tuple[str, ...] = ()  # the location's building, one of these
    areas: tuple[str, ...] = ()  # the location's public area contains one of these

    def __post_init__(self) -> None:
        # A rule stored with a bad window would silently never (or always) match; refuse it early.
        if self.hours is not None:
            start, end = self.hours
            if not (0 <= start <= 23 and 0 <= end <= 24) or start == end:
                raise ValueError(
                    f"hours must be [start, end) within 0-24, start != end: {self.hours}"
                )
        words = (*self.keywords, *self.exclude_keywords, *self.buildings, *self.areas)
        words += tuple(w for pair in self.pairs for w in (*pair.subjects, *pair.actions))
        if any(not word.strip() for word in words):
            raise ValueError("an empty keyword would match every request")


@dataclass(frozen=True)
class Then:
    queue: Queue
    priority: Priority | None = None  # None: keep the computed/default priority
    category: str | None = None
    kind: Kind | None = None
    dispatch: Strategy | None = None  # None: the queue's own strategy
    skills: tuple[str, ...] = ()  # automatic dispatch only considers staff with all of these


@dataclass(frozen=True)
class Rule:
    id: str  # stable slug, e.g. "default-elevator-entrapment"
    name: str  # Chinese, e.g. "电梯困人"
    when: When
    then: Then


@dataclass(frozen=True)
class UrgentSign:
    """One family of emergency: any of `words`, or any of `subjects` together with any of `hazards`.

    The pair form exists because owners rarely use the textbook word: "电梯停在两层中间，我在里面
    出不去" never says 困人, but a lift plus "出不" is an entrapment.
    """

    family: str
    name: str
    words: tuple[str, ...]
    subjects: tuple[str, ...] = ()
    hazards: tuple[str, ...] = ()
    unless: tuple[str, ...] = ()


def _w(words: str) -> tuple[str, ...]:
    return tuple(words.split())


def _pair(subjects: str, actions: str) -> Pair:
    return Pair(_w(subjects), _w(actions))


U, H, N, L = Priority.URGENT, Priority.HIGH, Priority.NORMAL, Priority.LOW
ENG, SEC, CLN, CS = Queue.ENGINEERING, Queue.SECURITY, Queue.CLEANING, Queue.CUSTOMER_SERVICE

# Words that put a danger in the past or in the hypothetical: "上次电梯困人你们四十分钟才到" is a
# complaint, "建议加装燃气报警器" a suggestion; neither needs anyone to run.
NOT_NOW = _w("上次 上回 那次 去年 上个月 上周 上礼拜 万一 假如 以防 预防 演练 建议 提议")

URGENT_SIGNS: tuple[UrgentSign, ...] = (
    UrgentSign(
        "entrapment",
        "电梯困人",
        words=_w("困人 困住 被困 困在 关在电梯 关电梯 被关 卡在电梯 电梯卡人 夹人"),
        subjects=_w("电梯 轿厢"),
        hazards=_w("出不 里面有人 里面还有 里面有个 在里面 有人在喊 卡在半 两层中间 困 关在"),
        unless=_w("困扰 挪车 堵在"),
    ),
    UrgentSign(
        "gas",
        "燃气泄漏",
        words=_w(
            "燃气味 煤气味 天然气味 液化气味 燃汽味 然气味 臭鸡蛋味 漏气 "
            "燃气泄漏 煤气泄漏 天然气泄漏 闻到燃气 闻到煤气 闻到天然气"
        ),
        subjects=_w("燃气 煤气 天然气 液化气 燃汽 然气 煤汽"),
        hazards=_w("味 漏 泄 嘶嘶"),
        unless=_w("轮胎 车胎 暖气 气球 没有味 没闻到 燃气费 煤气费"),
    ),
    UrgentSign(
        "sparks",
        "电器冒火花",
        words=_w("冒火花 打火花 电火花 火花 火星 火光 烧焦 焦味 糊味 电线冒烟 插座冒烟 开关冒烟"),
        subjects=_w("插座 开关 电线 电箱 电表 配电 电闸 电源 线路 电器 充电器"),
        hazards=_w("冒烟 着火 起火 烧 焦 冒火 打火 滋滋"),
        unless=_w("打火机 点不着 打不着 不着火 燃气灶"),
    ),
    UrgentSign(
        "fire",
        "火情",
        words=_w("着火 起火 失火 火灾 火苗 火势 烧起来 浓烟 冒烟 冒黑烟 全是烟"),
        unless=_w("不着火 点不着 打不着 抽烟 吸烟 烟头"),
    ),
    UrgentSign(
        "flooding",
        "爆管水淹",
        words=_w(
            "爆管 管爆 管子爆 管道爆 水管爆 爆裂 水淹 淹了 被淹 淹到 漫水 水漫 漫到 漫出 "
            "发大水 水喷 喷水 往外喷 往外冒水 止不住 没过脚"
        ),
        subjects=_w("水管 管子 管道 水龙头 阀门 总阀 暖气管"),
        hazards=_w("爆 喷 冒水 止不住"),
        unless=_w("积水 雨后 下雨 暴雨 浇水 浇灌 草坪 绿化 喷泉 洒水"),
    ),
    UrgentSign(
        "break_in",
        "入室盗窃",
        words=_w(
            "撬 入室 进了小偷 进小偷 进贼 进了贼 家里被盗 家被盗 翻窗 破门 被翻乱 翻得乱七八糟"
        ),
    ),
    UrgentSign(
        "falling_objects",
        "高空抛物",
        words=_w("高空抛物 抛物 砸到人 砸伤 砸中 砸到 差点砸 险些砸 碎在 脚边"),
        subjects=_w("扔 丢 抛 掉下 掉落 坠"),
        hazards=_w("砸 差点 险些 脚边 身边 头上"),
    ),
    UrgentSign(
        "harm",
        "人身伤害",
        words=_w(
            "持刀 拿刀 拿着刀 动刀 砍人 捅人 打伤 受伤 流血 晕倒 昏倒 昏迷 不省人事 起不来 抽搐"
        ),
        unless=_w("会受伤 容易受伤 怕受伤"),
    ),
)

_SIGN = {sign.family: sign for sign in URGENT_SIGNS}

# Routing-only exclusions: these emergencies are real, but another department owns them (a falling
# tile is the building's, not a thrower's).
_NOT_A_THROWER = _w("瓷砖 外墙 墙皮 雨棚 树 广告牌 空调外机")


def _emergency(
    family: str,
    queue: Queue,
    category: str,
    extra_unless: tuple[str, ...] = (),
    skills: tuple[str, ...] = (),
) -> Rule:
    sign = _SIGN[family]
    return Rule(
        id=f"default-emergency-{family.replace('_', '-')}",
        name=sign.name,
        when=When(keywords=sign.words, exclude_keywords=NOT_NOW + sign.unless + extra_unless),
        then=Then(queue, U, category, skills=skills),
    )


def _by_queue(queue: Queue) -> tuple[str, ...]:
    return tuple(name for name, (owner, _) in CATEGORIES.items() if owner is queue)


# Things broken or not working: a question or suggestion naming one is really a repair request.
FAULT = _w(
    "坏 维修 修理 来修 修一下 修好 没修 修不 报修 漏 堵 不亮 不热 不凉 不制冷 失灵 故障 打不开 关不上 不能用 没反应 停水 停电 没水 没电"
)
# Problems and service requests that a "请问…" sentence may wrap; those belong to a department.
_ISSUE = _w("吵 噪 偷 乱停 占 臭 脏 满了 消杀 喷药 打药 灭鼠 灭蚊 修剪 打扫 清理 清运 挪车")
_NOISE = _w(
    "噪音 噪声 燥音 吵 扰民 喧哗 大声 音响 音乐 唱歌 唱K K歌 蹦迪 广场舞 乒乒乓乓 乒乓 咚咚 砰砰 "
    "电钻 砸墙 敲墙 敲打 装修 拖椅子 拖桌子 弹琴 钢琴 喇叭 鸣笛 鞭炮 放炮 狗叫 狗吠 犬吠 叫个不停 "
    "叫到 乱叫 狂叫 睡不着"
)
# Machines make noise too; those are engineering's.
_MACHINE = _w("电梯 水泵 变压器 风机 异响 管道 水管")
# An animal and its sound, however far apart: "狗整夜叫", "猫半夜一直在嚎".
_ANIMAL_NOISE = _pair("狗 犬 猫", "叫 吠 嚎")


def _rule(
    id: str,
    name: str,
    then: Then,
    words: str | tuple[str, ...] = (),
    unless: str | tuple[str, ...] = (),
    *,
    categories: tuple[str, ...] = (),
    kinds: tuple[Kind, ...] = (),
    hours: tuple[int, int] | None = None,
    pairs: tuple[Pair, ...] = (),
) -> Rule:
    keywords = _w(words) if isinstance(words, str) else words
    excludes = _w(unless) if isinstance(unless, str) else unless
    when = When(categories, kinds, keywords, excludes, hours=hours, pairs=pairs)
    return Rule(f"default-{id}", name, when, then)


# The customer-service outcomes recur, so they are named once.
COMPLAINT = Then(CS, H, "service_complaint", Kind.COMPLAINT)
SUGGESTION = Then(CS, L, "suggestion", Kind.SUGGESTION)


def _ask(category: str) -> Then:
    return Then(CS, L, category, Kind.INQUIRY)


DEFAULT_RULES: tuple[Rule, ...] = (
    # 1. emergencies
    _emergency("entrapment", ENG, "elevator", skills=("elevator",)),
    _emergency("gas", ENG, "gas"),
    _emergency("sparks", ENG, "electrical"),
    # Guards are first responders and staff the fire control room; smoking wires are engineering's.
    _emergency("fire", SEC, "safety", _SIGN["sparks"].subjects),
    _emergency("flooding", ENG, "plumbing"),
    _emergency("break_in", SEC, "safety"),
    _emergency("falling_objects", SEC, "falling_objects", _NOT_A_THROWER),
    _emergency("harm", SEC, "safety"),
    # 2. complaints about the service itself
    _rule(
        "service-attitude",
        "服务态度投诉",
        COMPLAINT,
        "态度差 态度很差 态度太差 态度不好 态度恶劣 爱理不理 爱答不理 不作为 推诿 踢皮球 服务差 "
        "服务太差 服务跟不上 服务一点 乱收费 收费这么高 收费太高 收费不合理 又涨 涨价 私自收 私下收 "
        "收了我 打不通 没人接 不接电话 不回复 不回消息 给个说法",
        unless="邻居 楼上的 楼下的 对门 隔壁",
    ),
    _rule(
        "service-chase",
        "催单未处理",
        COMPLAINT,
        "报修了 已经报修 报过修 报了修 报修好几 报修几 报修两 报修三 上周报 昨天报 前天报 前几天报 "
        "次电话 催了 催过 还没人来 一直没人来 也没人来 都没人来 没人上门 一个人影 人影都没 说派人 "
        "说好的 说好了 根本没修 没修好就 等了好几天",
    ),
    _rule(
        "service-complaint",
        "投诉物业服务",
        COMPLAINT,
        "师傅 维修工 保安 保洁 阿姨 客服 管家 前台 物业 工作人员 经理 你们 服务 效率 太慢 才到 才来 "
        "不管 没人管 没人处理 一直拖 拖着 拖了",
        kinds=(Kind.COMPLAINT,),
    ),
    # 3. suggestions
    _rule(
        "suggestion",
        "意见建议",
        SUGGESTION,
        "建议 提议 提个意见 提点意见 增设 加装 多装 装几个 多放几个 多设几个 增加几个",
        unless=FAULT,
    ),
    # 4. cross-topic rules
    _rule(
        "vomit-spill",
        "呕吐物泼洒",
        Then(CLN, H, "hygiene"),
        "呕吐 吐了 吐的 吐得 洒了一地 撒了一地 泼了一地 打翻 很滑 太滑 地滑",
        unless="吐槽",
    ),
    _rule("pet-waste", "宠物粪便", Then(CLN, L, "hygiene"), "屎 狗粪 猫粪 粪便 狗尿 猫尿 便便"),
    _rule(
        "fire-exit-blocked",
        "消防通道堵塞",
        Then(SEC, H, "fire_exit"),
        "消防通道 消防车道 安全通道 疏散通道 逃生通道 楼梯间堆",
        unless="灯 指示 闭门器 关不上 坏",
    ),
    _rule(
        "ebike-indoors",
        "电动车进楼充电",
        Then(SEC, H, "ebike"),
        "电动车充电 电瓶车充电 电动车在充电 电瓶车在充 电瓶 飞线 拉线充电 拉电线 拉了根电线 "
        "电动车进电梯 电动车上楼 推电动车 电瓶车进 电动车进",
        unless="充电桩",
    ),
    _rule(
        "throwing",
        "楼上扔东西",
        Then(SEC, H, "falling_objects"),
        "往下扔 往下丢 往楼下扔 往楼下丢 楼上扔 楼上丢 扔下来 丢下来 抛下来 高空 从楼上 从窗户扔",
        unless=_NOT_A_THROWER,
    ),
    _rule(
        "theft",
        "盗窃丢失",
        Then(SEC, H, "safety"),
        "被偷 偷走 偷了 被盗 失窃 小偷 偷东西 偷车 不见了 丢失 顺走",
        unless="门禁卡 停车卡",
        # Something that can be carried off, and someone carrying it: "有人偷拿包裹".
        pairs=(
            _pair(
                "包裹 快递 外卖 东西 自行车 单车 电动车 电瓶 钱包 手机 花盆 鞋",
                "偷 盗 拿走 顺走 被拿",
            ),
        ),
    ),
    _rule("fight", "打架斗殴", Then(SEC, H, "dispute"), "打架 打起来 斗殴 动手 打人 群殴 扭打"),
    _rule(
        "strangers",
        "陌生人推销",
        Then(SEC, H, "safety"),
        "陌生人 陌生男 陌生女 不认识 推销 传单 发广告 卖保险 挨家挨户 挨个 敲门 可疑 鬼鬼祟祟 "
        "转来转去 尾随 翻墙 翻围墙 爬墙 翻进 爬进",
        unless="翻新 翻修 翻起 起皮",
        pairs=(_pair("墙 围栏 栅栏 护栏 大门", "翻 爬进 爬过 爬上来 爬出"),),
    ),
    _rule(
        "ac-fault",
        "空调故障",
        Then(ENG, N, "air_conditioning"),
        "不制冷 不制热 不出冷风 不出热风 不出风 不凉 制冷效果 空调坏 空调漏水 空调滴水 外机滴水 "
        "冷凝水 空调不 空调没反应 新风系统",
    ),
    _rule(
        "leak-from-above",
        "楼上漏水屋顶渗水",
        Then(ENG, H, "building"),
        "楼上漏水 楼上漏 楼上渗 天花板滴 天花板漏 天花板渗 天花板湿 吊顶滴 吊顶漏 往下滴 顶上漏 "
        "屋顶漏 楼顶漏 房顶漏 顶层漏 渗水 渗漏 往里渗 防水 漏到楼下 漏到我家 漏雨 进水",
    ),
    # A planned outage is news customer service gives out, not a fault to send someone to.
    _rule(
        "outage-notice",
        "停水停电通知",
        _ask("inquiry"),
        pairs=(_pair("通知 公告 计划 预计 安排", "停水 停电 停气 停暖 断水 断电 来水 来电"),),
    ),
    _rule(
        "power-outage",
        "家中停电",
        Then(ENG, H, "electrical"),
        "停电 没电了 都没电 全没电 家里没电 断电 跳闸 总闸 空气开关 电闸 全黑 漏电 麻手 发麻",
        unless="电动车 电瓶 电梯",
    ),
    _rule(
        "pump-manhole",
        "水泵井盖",
        Then(ENG, H, "public_facility"),
        "水泵 排水泵 排污泵 泵房 污水泵 潜水泵 井盖 水压很低 水压低",
    ),
    _rule(
        "exterior-falling",
        "外墙脱落",
        Then(ENG, H, "building"),
        "外墙 瓷砖掉 掉瓷砖 瓷砖脱落 墙砖 外墙皮 雨棚 广告牌 随时会掉 摇摇欲坠 要掉下来 快掉了",
        unless="装修",
    ),
    # 5. the caller's own category
    _rule("category-engineering", "按类别：工程", Then(ENG), categories=_by_queue(ENG)),
    _rule("category-security", "按类别：秩序", Then(SEC), categories=_by_queue(SEC)),
    _rule("category-cleaning", "按类别：保洁", Then(CLN), categories=_by_queue(CLN)),
    _rule(
        "category-complaint",
        "按类别：服务投诉",
        Then(CS, H, kind=Kind.COMPLAINT),
        categories=("service_complaint",),
    ),
    _rule(
        "category-suggestion",
        "按类别：建议",
        Then(CS, L, kind=Kind.SUGGESTION),
        categories=("suggestion",),
    ),
    _rule(
        "category-inquiry",
        "按类别：咨询缴费",
        Then(CS, L, kind=Kind.INQUIRY),
        categories=("inquiry", "fees", "invoice"),
    ),
    # 6a. administration and plain questions
    _rule(
        "fees",
        "物业费缴费",
        _ask("fees"),
        "物业费 管理费 缴费 交费 收费标准 单价 账单 欠费 预存 停车费 车位费 水电费 公摊",
        unless=FAULT,
    ),
    _rule("invoice", "发票收据", _ask("invoice"), "发票 开票 专票 普票 收据 报销"),
    _rule(
        "procedures",
        "办理手续",
        _ask("inquiry"),
        "办理 补办 办卡 办一张 停车卡 月卡 门禁卡 备案 报备 装修许可 装修手续 放行条 出门条 开证明 "
        "手续 流程 需要什么材料 车位出租 租车位",
        unless=FAULT + _w("刷不 消磁"),
    ),
    _rule("question", "一般咨询", _ask("inquiry"), kinds=(Kind.INQUIRY,), unless=FAULT + _ISSUE),
    # 6b. cleaning service requests
    _rule(
        "pest-spraying",
        "消杀喷药",
        Then(CLN, L, "pests"),
        "消杀 喷药 喷点药 打药 打点药 灭蚊 灭鼠 杀虫 除虫 灭蟑 灭虫",
    ),
    _rule(
        "pests",
        "虫鼠",
        Then(CLN, N, "pests"),
        "老鼠 蟑螂 章螂 蚊子 苍蝇 蚂蚁 白蚁 虫子 马蜂 蜂窝 臭虫 跳蚤 蛇 飞蛾",
    ),
    _rule(
        "fallen-tree",
        "树木倒伏",
        Then(CLN, H, "greening"),
        "树倒 刮倒 大树倒 树枝断 断枝 倒伏",
        pairs=(_pair("树 枝", "断 倒 折"),),
    ),
    _rule(
        "snow-ice",
        "积雪结冰",
        Then(CLN, H, "snow_water"),
        "雪 结冰 结了冰 路滑 冰面",
        unless="雪糕 水管 管子",
    ),
    _rule(
        "standing-water",
        "雨后积水",
        Then(CLN, H, "snow_water"),
        "积水 积满了水 积了水 水很深 很深的水 水坑 排涝 倒灌 泡在水里 雨后 下完雨 暴雨后",
        unless="漏 水管 管子 马桶 家里",
    ),
    # 6c. garbage words are specific enough to go before security's ("装修垃圾")
    _rule(
        "garbage",
        "垃圾清运",
        Then(CLN, N, "garbage"),
        "垃圾 厨余 分类 清运 溢出 旧沙发 旧家具 旧床垫 大件",
        unless="下水道 马桶 地漏 管道 水槽",
    ),
    # 6c. security
    _rule(
        "parking",
        "停车秩序",
        Then(SEC, N, "parking"),
        "车位 停车 乱停 占道 挪车 僵尸车 地锁 违停 堵在 横在 挡住 挡着 共享单车 单车乱放",
        unless="道闸 抬杆 栏杆机",
    ),
    _rule(
        "visitors",
        "访客未登记",
        Then(SEC, L, "access_control"),
        "不登记 没登记 未登记 不用登记 随便进 随意进 随便出入 外卖小哥 快递小哥 外卖员 不拦 放进来",
    ),
    _rule(
        "pets",
        "宠物管理",
        Then(SEC, N, "safety"),
        "不拴绳 没拴绳 不牵绳 没牵绳 遛狗 大狗 烈性犬 狗咬 咬人",
        pairs=(_pair("狗 犬", "追 扑 咬 吓"),),
    ),
    _rule(
        "hoarding",
        "占用公共区域",
        Then(SEC, N, "safety"),
        "堆放 堆满 堆了 乱堆 堆杂物 占用公共 公共走廊 放在公共 私搭 违建 搭建 群租 烧纸",
        unless="垃圾",
    ),
    _rule(
        "dispute",
        "邻里纠纷",
        Then(SEC, N, "dispute"),
        "吵架 吵起来 争吵 纠纷 争执 骂人 骂街 矛盾 威胁",
    ),
    _rule(
        "noise-at-night",
        "夜间噪音扰民",
        Then(SEC, N, "noise"),
        (*_NOISE, *_w("声音 动静 响")),
        unless=_MACHINE,
        hours=(22, 6),
        pairs=(_ANIMAL_NOISE,),
    ),
    _rule(
        "noise", "噪音扰民", Then(SEC, N, "noise"), _NOISE, unless=_MACHINE, pairs=(_ANIMAL_NOISE,)
    ),
    # 6d. cleaning
    _rule(
        "hygiene",
        "公区卫生",
        Then(CLN, N, "hygiene"),
        "打扫 没人扫 清扫 清洁 不干净 卫生差 卫生太差 环境卫生 脏 灰 污渍 油污 机油 痰 烟头 "
        "塑料袋 小广告 牛皮癣 蜘蛛网 黏 尿 臭 异味 发臭 纸屑 果皮",
        unless="地漏 下水 马桶 管道 水池 返味 反味",
    ),
    _rule(
        "greening",
        "绿化养护",
        Then(CLN, L, "greening"),
        "草坪 草地 杂草 草长 绿化 树 修剪 剪枝 剪草 割草 花坛 灌木 浇水 枯死",
    ),
    # 6e. engineering
    _rule(
        "fire-equipment",
        "消防设施",
        Then(ENG, N, "fire_equipment"),
        "消防栓 消火栓 灭火器 烟感 烟雾报警 喷淋 消防管 消防水 应急灯 安全出口 疏散指示 消防报警 "
        "消防设施 水带 防火门",
    ),
    # Lifts are special equipment: only certified staff (特种设备作业人员) may work on them.
    _rule(
        "elevator",
        "电梯故障",
        Then(ENG, N, "elevator", skills=("elevator",)),
        "电梯 轿厢 扶梯 电题 电提 梯控",
    ),
    _rule("gas", "燃气设施", Then(ENG, N, "gas"), "燃气 煤气 天然气 液化气 燃汽 然气 灶 点不着"),
    _rule("heating", "供暖", Then(ENG, N, "heating"), "暖气 暖器 供暖 地暖 采暖 不热 锅炉"),
    _rule("air-conditioning", "空调", Then(ENG, N, "air_conditioning"), "空调 新风 冷气 风机盘管"),
    _rule(
        "water-outage",
        "停水",
        Then(ENG, H, "plumbing"),
        "停水 断水 没水 没有水 水也没了 冷水也没",
    ),
    _rule(
        "plumbing",
        "给排水",
        Then(ENG, N, "plumbing"),
        "水管 管道 水龙头 龙头 漏水 滴水 渗 下水 下水到 马桶 地漏 排水 返水 反水 返臭 反味 水压 "
        "水表 热水 冷水 水池 洗手盆 洗手池 水槽 阀门 总阀 化粪池 污水 堵了 堵住 流水",
    ),
    _rule(
        "electrical",
        "电路照明",
        Then(ENG, N, "electrical"),
        "插座 开关 电线 线路 灯 照明 路灯 不亮 电表 用电",
    ),
    _rule(
        "minor-hardware", "五金小修", Then(ENG, L, "doors_access"), "合页 铰链 纱窗 滑轨 门吸 猫眼"
    ),
    _rule(
        "doors-access",
        "门窗门禁",
        Then(ENG, N, "doors_access"),
        "门禁 单元门 门锁 锁芯 防盗门 对讲 门铃 窗 闭门器 门关不 门打不开 自动门 大门 卷帘门 "
        "刷脸 刷卡 把手",
    ),
    _rule(
        "public-facility",
        "公共设施",
        Then(ENG, N, "public_facility"),
        "道闸 抬杆 栏杆机 闸机 识别车牌 车牌识别 充电桩 健身器材 滑梯 秋千 座椅 长椅 路面 围墙 "
        "喷泉 监控 摄像头 信报箱 快递柜 游乐 凉亭",
    ),
    _rule(
        "building",
        "房屋结构",
        Then(ENG, N, "building"),
        "裂缝 裂了 开裂 墙皮 墙面 脱落 发霉 霉 返潮 空鼓 地砖 天花板 吊顶 楼板 沉降 阳台 台阶 "
        "扶手 栏杆 护栏",
    ),
    # 7. fallbacks on the kind of request
    _rule("any-complaint", "其他投诉", COMPLAINT, kinds=(Kind.COMPLAINT,)),
    _rule("any-suggestion", "其他建议", SUGGESTION, kinds=(Kind.SUGGESTION,)),
    _rule("any-question", "其他咨询", _ask("inquiry"), kinds=(Kind.INQUIRY,)),
)
