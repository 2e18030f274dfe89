"""The danger concepts: kinds of emergency the guide names, and the wording that sets one aside."""

from __future__ import annotations

import pytest

from workorders.domain import urgency


@pytest.mark.parametrize(
    "text",
    [
        "楼道里的纸箱烧到门口的鞋柜了",
        "the bin store is burning, flames next to the cars",
        "客厅里突然有一股烟，不知道哪来的",
        "the extension lead under my desk is smoking from the plug end",
        "电井里有烧电线的气味",
        "天然气管道接口处一直在漏，很冲",
        "卫生间吸顶灯里在滴水，灯还亮着",
        "my hand got a tingle from the light switch in the wet bathroom",
        "热水管裂了，喷出来的全是蒸汽",
        "水从楼上一直往下流，楼梯都湿透了",
        "two men are smashing car windows in the car park",
        "有人正在偷电动车，就在车棚里",
        "我女儿放学没回来，在小区里找不到了",
        "grandpa has dementia and wandered off an hour ago",
        "a cyclist was knocked down by a van at the gate and can't get up",
        "有个人站在天台边上，说要跳下去",
        "the gas meter by our door is hissing",
        "my toddler is locked in the car and it's hot",
        "a painter fell off the ladder in the hall and can't move his leg",
        "the socket behind the fridge is melting",
        "水从天花板一个劲往屋里灌",
        "the old man next door is on the floor, not waking up",
        "wires sticking out of the broken lamp post by the swings",
        "the toilet upstairs is overflowing into our bathroom",
    ],
)
def test_a_danger_happening_now_is_found(text: str) -> None:
    assert urgency.assess(text).urgent, text


@pytest.mark.parametrize(
    "text",
    [
        "上周热水管喷过蒸汽，已经修好了",
        "昨晚车库有车被砸窗，想调一下监控",
        "the bins are overflowing again",
        "有人在小区里抽烟，烟头乱扔",
        "the shower goes from cold to very hot, please check the mixer",
        "这两天自来水烧开了也有怪味",
        "the garage door remote is not responding",
        "楼梯扶手断了一截，有点扎手",
        "What should I do if I smell gas?",
        "昨日在大堂摔了一跤，已经没事了",
        "下水道有股臭鸡蛋的味道",
    ],
)
def test_no_danger_now_is_not_flagged(text: str) -> None:
    assert not urgency.assess(text).urgent, text
