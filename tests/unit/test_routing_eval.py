"""The bars of issue 8 on evaluation sets written apart from the corpus, each by someone who never saw
the corpus or the model's features, briefed with the duty map alone.

Never copy these lines into the corpus. A figure on a set one tuned on is not a result, so each set
says where it stands. A set is written blind, kept sealed, measured once after the last change to
the router, and from the first change made because of its misses it is a tuned set: a regression
set that must keep meeting the bars, whose figures prove nothing about new requests.

- `eval1_tuned.jsonl` (360 lines, one writer): tuned on in the first round.
- `eval2_tuned.jsonl` (360 lines, a second writer) and `eval3_tuned.jsonl` (420 lines, two more):
  blind until the third round, whose danger concepts and veto were changed after their misses
  were read.
- `eval4_tuned.jsonl` (520 lines, two more writers): blind, measured once after the third round
  (queue 96.7%, urgent recall 99.0%: one English emergency ending "what do i do" was read as a
  procedure question, false alarms 11.2%); that miss and two smoke patterns were then fixed.
- `eval5_tuned.jsonl` (520 lines, two more writers): blind, measured once after that (queue 94.0%,
  urgent recall 100%, false alarms 9.9%, English 11.6%); its misses then named the duties two
  more training writers were asked for, and the concepts for old fires mentioned in passing.
- `eval6_tuned.jsonl` (520 lines, two more writers): blind, measured once after the second
  round's corpus (queue 94.4%, en 92.0%; urgent recall 98.9%, one English request missed; false
  alarms 8.0%); read again after the length floor for the model's own urgency (7.8%).
- `eval7_tuned.jsonl` (520 lines, two more writers): written while eval6 was measured, sealed, and
  measured once on the router of 280689c (queue 95.8%, urgent recall 100%, false alarms 7.3%: every
  bar met, where eval4, eval5 and eval6 each missed one or two). Its misses then named the duties two
  more training writers (writer9, writer10) were asked for. Four of its lines are texts also in the
  corpus ("在吗", "有人吗", "hello? anyone there", "卫生间排风扇不转了").
- `eval8_tuned.jsonl` (520 lines, two more writers, 45% English): written at the start of the
  session that added writer9 and writer10, sealed, and measured once after they joined (8,012
  lines): queue 96.7% (en 95.7%, zh 97.6%), urgent recall 98.9% (94 of 95: one English request
  missed), false alarms 5.2% (en 5.3%, zh 5.0%). The corpus before writer9 and writer10 scores the
  same on it (96.7%, 98.9%, 4.5%). Its misses were then read: a gas leak ending "what should we
  do?" (a plea for advice was read as a question about procedures), a person in a lift that would
  not move, an intruder on a balcony; the danger concepts were changed for them.
- `eval9_tuned.jsonl` (520 lines, two more writers, 45% English): written while eval8 was
  measured, sealed, and measured once after the concept changes eval8's misses led to (the router
  of this commit): queue 98.1% (en 97.9%, zh 98.3%), urgent recall 100% (94 of 94), false alarms
  8.5% (en 8.0%, zh 8.8%). Its misses were never read; measured again after writer11 joined the
  corpus: 98.5%, 100%, 8.2%. One of its lines, an old kitchen fire "last Christmas", was seen
  while checking the service against the evaluation, and `_PAST` then learnt holidays and
  weekends (the router without a model no longer calls it urgent; with one, nothing moved).
- `eval10_tuned.jsonl` (520 lines, two more writers, 45% English, about 30 messages too vague to
  place): written while eval9 was measured, sealed, and measured once on the router after
  writer11 joined (8,501 lines): queue 98.5% (en 98.3%, zh 98.6%), urgent recall 100% (94 of 94),
  false alarms 6.3% (en 6.9%, zh 5.9%). After writer12 and writer13 joined, it missed one English
  emergency (a pipe with water coming out too fast); that line was read, and it is tuned since.
- `eval11_tuned.jsonl` (520 lines, two more writers, 45% English): written in the session that
  made routing faster, sealed, and measured once on that router (the router of eval10, the same
  decisions on every line of the corpus and the sets): queue 95.0% (en 92.4%, zh 97.2%), urgent
  recall 97.9% (92 of 94: a cracked pipe squirting water, "滋"; a hot electrical smell and haze from
  a switch cabinet, set aside by "not sure if"), false alarms 9.4% (en 12.2%, zh 7.2%). Its misses
  were then read, and the concepts learnt squirting water, hot electrical smells, haze and fumes
  from equipment, melting only of cables and plastics, "turned out fine" and "dry now", a negation
  between a gas and its leak, someone's smoking, a machine's arm, jumping off something high, and
  "not sure if" as no condition: on the corpus 10 lines moved, all the right way. Retrained on
  them, the model places 94.8% of it (en 91.9%) and flags every urgent request.
- `eval12_tuned.jsonl` (520 lines, two more writers, 45% English): written while eval11 was read,
  sealed, and measured once after those changes: queue 95.0% (en 93.6%, zh 96.2%), urgent recall
  100% (95 of 95), false alarms 8.2% (en 8.3%, zh 8.2%): every bar met. Six of its lines (of 2 to 21
  characters) are texts also in the corpus. After writer12 and writer13 joined (9,487 lines): 95.4%,
  100%, 7.1%. Its misses were first read when the model, retrained on the concepts of 19c6530,
  lost a gas smell typed by voice as 然气 (54c1394).
- `eval13_tuned.jsonl` (520 lines, two more writers, 45% English): written while eval12 was
  measured, sealed, and measured once after writer12 and writer13 joined: queue 95.4% (en 94.9%,
  zh 95.8%), urgent recall 96.8% (92 of 95: a voice-typed "煤气位" with dizziness, water dripping
  into a lamp, water up to the ankles and still coming in), false alarms 5.2% (en 4.2%, zh 6.0%).
  Its misses were read and the concepts learnt those kinds.
- `eval14_tuned.jsonl` (520 lines, two more writers: an old northern compound, and a Bay Area town
  where many write Cantonese, often in traditional characters): written while eval13 was read,
  sealed, and measured once on the router of 4de5cfc: queue 93.7% (en 95.8%, zh 91.9%), urgent
  recall 98.9% (one Cantonese emergency missed), false alarms 13.2% (en 7.3%, zh 17.9%). Its misses
  were read: traditional characters are since read as simplified ones, and writer14 wrote the
  Chinese the corpus lacked. It falls short still: the urgent head flags ordinary Cantonese.
- `eval15_tuned.jsonl` (520 lines, two more writers: a county town, and a southern city where a third
  of the Chinese lines are in traditional characters): written while eval14 was read, sealed, and
  measured once after writer14 joined (9,985 lines, the router of this commit): queue 96.9% (en
  97.1%, zh 96.8%), urgent recall 99.0% (96 of 97: one English emergency missed), false alarms
  7.6% (en 5.7%, zh 9.2%). Its one miss was then read: someone with dementia gone for hours, the
  dementia said last; the concept reads it either way round since.
- `eval16_tuned.jsonl` (520 lines, two more writers: a hillside western city, and an international
  port community): written while eval15 was read, sealed, and measured once on the router of
  abbfba7: queue 96.2% (en 95.5%, zh 96.8%), urgent recall 97.9% (92 of 94: real smoke set aside by
  "not a drill"; someone in a lift stopped halfway), false alarms 4.2% (en 5.6%, zh 3.1%). Those two
  misses were read, with eval6's last one (an odour of gas set aside by "I would be grateful if"),
  and the concepts learnt them (8818519).
- `eval17_blind.jsonl` (520 lines, two more writers: an old northern community of walk-ups, and a
  riverside high-rise estate in a hot inland city; 50% English): written at the start of the
  session of 8818519, sealed, and measured once on that router: queue 97.1% (en 96.9%, zh 97.3%),
  urgent recall 100% (94 of 94), false alarms 5.4% (en 3.3%, zh 7.6%): every bar met. Its misses
  were never read.
- `eval18_tuned.jsonl` (520 lines, two more writers: a technology-park community in Shenzhen, and
  a suburban villa community near Hangzhou; 50% English): written with eval17, sealed, and measured
  once on the same router: queue 97.3% (en 96.9%, zh 97.7%), urgent recall 98.9% (94 of 95: a
  rotten-egg smell said with 的, the lights left off), false alarms 4.9% (en 3.4%, zh 6.4%). That
  miss was read and the concepts learnt it.
- `eval19_tuned.jsonl` (520 lines, two more writers: a converted work-unit compound in central
  China, and a coastal gated community; 50% English): written while eval17 and eval18 were
  measured, sealed, and measured once on the router of dfd1576: queue 96.2% (en 95.0%, zh 97.3%),
  urgent recall 98.9% (92 of 93: a roof tank "leaking very much, water running down the stairs"),
  false alarms 5.2% (en 5.1%, zh 5.2%). That miss was read and the concepts learnt it (ab6bef3).
- `eval20_blind.jsonl` (520 lines, two more writers: an affordable-housing estate on the edge of a
  south-western city, and an upscale downtown community with a concierge; 50% English): written
  with eval19, sealed, and measured once on the router of ab6bef3: queue 94.6% (en 93.1%, zh
  96.2%), urgent recall 100% (94 of 94), false alarms 3.8% (en 4.7%, zh 2.8%): short of the queue
  bar. Its misses were never read.
- `eval21_blind.jsonl` (520 lines, two more writers: a resettlement community of former villagers
  near a northern city, and a long-let rental complex of students and young workers; 49% English):
  written while eval17 and eval18 were read, sealed, and measured once on the router of 94b181e
  (writer15 and writer16 in the corpus): queue 97.3% (en 97.3%, zh 97.3%), urgent recall 100% (94
  of 94), false alarms 6.1% (en 5.2%, zh 7.0%): every bar met. Its misses were never read.
- `eval22_tuned.jsonl` (520 lines, two more writers: a mountain retirement community, and a
  Guangzhou tower complex whose Chinese lines are mostly in Cantonese; 51% English): written with
  eval21, sealed, and measured once on the same router: queue 93.5% (en 93.5%, zh 93.4%), urgent
  recall 95.6% (86 of 90: a shock from a socket, a tap that left a hand numb, in Mandarin and in
  Cantonese, sewage reaching the living room), false alarms 8.4% (en 3.3%, zh 13.5%; 22.2% of the
  Cantonese writer's Chinese lines). Its misses were read (2c79958); the Cantonese false alarms
  led to writer17.
- `eval23_tuned.jsonl` (520 lines, two more writers: a north-eastern estate of hard winters, and a
  lakeside family estate in the Yangtze delta; 49% English): written while eval21 and eval22 were
  measured, sealed, and measured once on the router of 90b8018 (writer17 in the corpus): queue
  96.0% (en 95.7%, zh 96.2%), urgent recall 96.8% (91 of 94: water pouring down "like rain", a
  muddled old man two hours gone in the frost, icicles about to fall over an entrance), false
  alarms 5.2% (en 3.3%, zh 6.9%). Its misses were read (2a1b25d). The icicles are left: the corpus's
  writers call such icicles high, as the guide calls a tree that may fall.
- `eval24_blind.jsonl` (520 lines, two more writers: a hillside city of stairs and footbridges,
  and a new town of smart buildings; 49% English): written with eval23, sealed, and measured once
  on the same router: queue 95.6% (en 96.1%, zh 95.1%), urgent recall 100% (94 of 94), false
  alarms 5.2% (en 5.7%, zh 4.6%): every bar met. Its misses were never read.
- `eval25_tuned.jsonl` (520 lines, two more writers: an old staff-housing estate in a central
  city, and a seaside resort of seasonal owners; 49% English): written while eval23 was read,
  sealed, and measured once on the router of 2a1b25d: queue 97.3% (en 96.9%, zh 97.7%), urgent
  recall 98.9% (92 of 93: water through a ceiling "light fixture", lights flickering), false alarms
  5.2% (en 6.2%, zh 4.1%). That miss was read (467ce39).
- `eval26_blind.jsonl` (520 lines, two more writers: an older Hong Kong or Macau estate whose
  Chinese lines are in Cantonese, and a north-western suburb; 48% English): written with eval25,
  sealed, and measured once on the same router: queue 95.2% (en 96.4%, zh 94.1%), urgent recall
  100% (94 of 94), false alarms 7.0% (en 5.4%, zh 8.5%; 14.3% of the Cantonese writer's Chinese
  lines): every bar met. Its misses were never read.
- `eval27_blind.jsonl` (520 lines, two more writers: a south-western community of cross-border
  traders, and a senior-living community beside a hospital; 49% English): written while eval25 was
  read, sealed, and measured once on the router of 467ce39: queue 96.3% (en 95.3%, zh 97.4%),
  urgent recall 100% (94 of 94), false alarms 7.0% (en 6.3%, zh 7.8%): every bar met. Its misses
  were never read.
- `eval28_tuned.jsonl` (520 lines, two more writers: a waterfront new district in the north, and
  a Shenzhen estate by the Hong Kong border, part Cantonese; 50% English): written with eval27,
  sealed, and measured once on the same router: queue 96.3% (en 97.3%, zh 95.4%), urgent recall
  97.8% (91 of 93: a lamp post's wires 露在外面 in the rain; a branch about to fall over a
  pavement, which the guide calls high), false alarms 5.4% (en 5.2%, zh 5.6%). Its misses were
  read (a62a504).
- `eval29_tuned.jsonl` and `eval30_blind.jsonl` (520 lines each, four more writers: a family estate
  with a school inside its gates, a compound of international families, a resettled old town on
  the south-east coast, a university neighbourhood; 50% English): written while eval28 was read,
  sealed, and measured once on the router of 3c74927: eval29 queue 95.2% (en 93.9%, zh 96.5%),
  urgent recall 98.9% (93 of 94: one English emergency missed), false alarms 7.3% (en 6.5%, zh
  8.0%); eval30 queue 97.5% (en 96.5%, zh 98.5%), urgent recall 100% (94 of 94), false alarms 4.7%
  (en 5.3%, zh 4.1%): every bar met. Their misses were never read until eval29 still missed two
  emergencies on the router of eval45 and eval46 (a rotten-egg smell by the gas meter, water
  through a ceiling light), which the concepts then learnt: eval29 is a tuned set since.
- `eval31_tuned.jsonl` to `eval34_tuned.jsonl` (520 lines each, eight more writers: an older
  Chengdu community, a Shenzhen high-rise estate, a Beijing compound heated by a district boiler,
  a Shanghai community of villas and towers, a Hangzhou lakeside community, a Harbin community of
  long winters, a typhoon-exposed Xiamen seaside community, a Chongqing hillside estate; 50%
  English): written at the start of the session of ac80fcc (writer18 and writer19 in the corpus),
  sealed, and measured once on that router: queue 96.7%, 98.3%, 98.7% and 98.1%; urgent recall 93,
  94, 93 and 91 of 94; false alarms 4.2%, 6.1%, 4.9% and 3.8% (eval32 met every bar). Their misses
  were read: five emergencies no concept named (a lift's doors open on an empty shaft, a gas meter
  hissing, a hydrant knocked over, water along a lit lamp), which the concepts learnt (537057d).
- `eval35_tuned.jsonl` and `eval36_tuned.jsonl` (520 lines each, four more writers: a Tianjin
  community of brick blocks and towers, a Guangzhou redevelopment estate part Cantonese, a Kunming
  garden community of short-stay guests, a Suzhou industrial-park community; 50% English):
  written while eval31 to eval34 were measured, sealed, and measured once on the router of
  537057d: eval35 queue 98.3% (en 98.5%, zh 98.1%), urgent recall 97.9% (92 of 94: two English
  emergencies missed), false alarms 6.6% (en 6.6%, zh 6.6%); eval36 queue 98.8% (en 98.5%, zh
  99.2%), urgent recall 100% (94 of 94), false alarms 6.3% (en 9.0%, zh 3.7%): every bar met. Their
  misses were never read until eval35 still missed two on the router of eval45 and eval46 (a window
  frame hanging from one hinge over a path, a torch moving in a flat whose people are abroad),
  which the concepts then learnt: eval35 is a tuned set since. eval36's English false alarms were
  read then too (24 of 212 on that router): 22 from the urgent head, two from concepts ("needs air
  bleeding" read as bleeding, "my daughter lost her backpack" as a lost child), which were mended:
  eval36 is a tuned set since.
- `eval37_blind.jsonl` and `eval38_blind.jsonl` (520 lines each, four more writers: a Zhengzhou
  tower community of e-bikes and grandparents, a Qingdao seaside community of old villas and Korean
  families, a Changsha community of storms and a night market, a Xi'an community by the city wall;
  50% English): written while writer20 was read, sealed, and measured once on the router of
  9d7f65b, the last change (writer20's emergencies in the corpus, the concepts they named): eval37
  queue 98.3% (en 97.7%, zh 98.8%), urgent recall 100% (94 of 94), false alarms 6.8% (en 8.0%, zh
  5.6%); eval38 queue 97.1% (en 95.8%, zh 98.5%), urgent recall 100% (94 of 94), false alarms 6.1%
  (en 7.0%, zh 5.2%): every bar met on both. Their misses were never read.
- `eval39_blind.jsonl` (520 lines, two more writers: a Hefei tower community with a school and a
  clinic and factory engineers from abroad, a humid Fuzhou riverside community of elderly people
  living alone and Filipino helpers; 50% English): written after the last change to the corpus and
  the features (5ee8a9e), sealed, and measured once on fb0de6b: queue 99.2% (en 99.6%, zh 98.9%),
  urgent recall 100% (94 of 94), false alarms 7.0% (en 8.1%, zh 6.0%): every bar met. The figure of
  record; its misses were never read. Whoever changes the router because of it renames the set
  `_tuned` and commissions a fresh one.
- `eval40_blind.jsonl` (520 lines, two more writers: a Chengdu riverside community of walk-ups,
  mahjong and chillies on balconies, with game-studio engineers from abroad; a Nanshan (Shenzhen)
  high-rise community of smart locks, typhoons and Hong Kong commuters; 50% English): written in
  the session after, on the same default model (its bytes unchanged by the property memory of
  8d71afe), sealed (sha256 0b94ceed…), and measured once on 730bfb5: queue 97.1% (en 96.9%, zh
  97.3%), urgent recall 100% (94 of 94), false alarms 4.0% (en 5.1%, zh 2.8%): every bar met.
  Three of its lines are texts also in the corpus. Its misses were never read.
- `eval41_tuned.jsonl` (520 lines, two more writers: a 1990s work-unit compound in Haidian,
  Beijing, of walk-ups, elderly people living alone and visiting scholars; a Binjiang (Hangzhou)
  riverside high-rise of young families, delivery riders and expatriate engineers; 50% English):
  sealed (sha256 06378f48…) and measured once on 4857f3e: queue 96.7% (en 95.8%, zh 97.7%), urgent
  recall 98.9% (93 of 94: one English request missed), false alarms 5.9% (en 4.2%, zh 7.5%). Its
  miss was then read: a seven-year-old not back from playing, the guards asked to look for him,
  never the word "missing"; the concepts learnt a child or an elderly person nobody can find, who
  has not come back, or whom the owner asks a search for (nothing moved on the corpus or the tuned
  sets), and a phone's curly apostrophe.
- `eval42_blind.jsonl` (520 lines, two more writers: a Harbin community of long winters, frozen
  pipes and international students writing English as a second language; a Xiamen seaside
  community of typhoons, holiday rentals and retirees from Singapore and Malaysia with their
  helpers; 50% English): written while eval41 was measured, sealed (sha256 d0412885…) before those
  changes, and measured after them: queue 96.7% (en 96.5%, zh 96.9%), urgent recall 100% (94 of
  94), false alarms 4.9% (en 4.2%, zh 5.7%): every bar met. Two small edits after that (an age
  written "6 yrs old" before a search, the curly apostrophe) moved none of its figures. Its lines
  were never read.
- `eval43_tuned.jsonl` (520 lines, two more writers: a resettlement community of 30-storey towers on
  the edge of Zhengzhou, with grandparents minding children and African traders and students; a
  Pudong villa compound with nannies, koi and expatriate executives; 50% English): sealed (sha256
  2a46a4d6…) and measured once on 9d2f3c7, eval42's router: queue 97.3% (en 96.2%, zh 98.5%),
  urgent recall 98.9% (93 of 94: one English request missed), false alarms 6.8% (en 5.1%, zh
  8.5%). Its miss was eval41's kind again, a four-year-old who "slipped away" and whom nobody
  "can find": the concept written for eval41's miss had been too narrow (it named the child after
  "can't find"). It was widened to the ways of saying a child or an elderly person is gone
  (slipped away, disappeared, can't find him), nothing moving on the corpus or the tuned sets.
- `eval44_blind.jsonl` (520 lines, two more writers: a Wuhan mill-workers' estate under renovation,
  in summer heat, with South Asian medical students typing on phones; a Chongqing hillside tower of
  many entrances, fog and hotpot smoke, with British and Australian engineers and tourists; 50%
  English): commissioned when eval43 was measured, sealed (sha256 76677f6a…) after eval43's change
  and measured once on it (bac3e59): queue 98.1% (en 97.3%, zh 98.8%), urgent recall 100% (94 of
  94), false alarms 5.4% (en 6.1%, zh 4.7%): every bar met. Its misses were never read.
- `eval45_blind.jsonl` (520 lines, two more writers: a Kunming lakeside community of retired
  winterers from the north, with Western travellers and Thai and Vietnamese traders; a Tianjin port
  community with a kindergarten and a nursing home inside the gates, with Korean and Japanese
  engineers; 50% English): commissioned when eval44 was measured, sealed (sha256 f0920fda…) before
  the concepts writer21 named, and measured once after them (55e244a): queue 98.7% (en 98.5%, zh
  98.8%), urgent recall 100% (94 of 94), false alarms 2.8% (en 2.3%, zh 3.3%): every bar met. Its
  misses were never read.
- `eval46_blind.jsonl` (520 lines, two more writers: a Nanjing university staff compound of plane
  trees, professors in their eighties and visiting scholars; a Longhua (Shenzhen) new town of
  factory managers and young couples, with Vietnamese, Malaysian and Bangladeshi engineers; 50%
  English): commissioned when eval45 was, sealed (sha256 1c066266…) and measured once on 0ffd3b0
  (the router of 55e244a): queue 97.7% (en 96.9%, zh 98.5%), urgent recall 100% (94 of 94), false
  alarms 6.1% (en 5.6%, zh 6.6%): every bar met. Its misses were never read.
- `eval47_blind.jsonl` (520 lines, two more writers: a Xi'an high-tech-zone community of spring dust
  and grandparents from rural Shaanxi, with Pakistani and Kazakh students; a Panyu (Guangzhou)
  riverside community of Cantonese elders and young tenants, with West African traders, Filipino
  helpers and Canadian teachers; 50% English): sealed (sha256 79614b65…) before the concepts eval29
  and eval35 named, and measured once after them (7562b02): queue 97.9% (en 98.1%, zh 97.7%),
  urgent recall 100% (94 of 94), false alarms 6.3% (en 7.0%, zh 5.7%): every bar met. Its misses
  were never read.
- `eval48_tuned.jsonl` (520 lines, two more writers: a Guiyang hillside community of fog, steep
  stairs and Miao and Buyi families, with American and Ethiopian data-centre engineers; a Dongguan
  factory dormitory turned into flats, with Indonesian and Sri Lankan supervisors; 50% English):
  sealed (sha256 0762d7c8…) before the last change to the concepts (2f129c6) and measured once
  after it: queue 97.7% (en 96.9%, zh 98.5%), urgent recall 98.9% (93 of 94: one Chinese request
  missed), false alarms 6.1% (en 7.0%, zh 5.2%). Its one miss was read and nothing changed for it:
  a broken railing on a roof where people lean to hang washing, "万一有人靠上去就掉下去了". The
  corpus's writers call a loose or broken railing at height normal 14 times and urgent 5, only when
  a child is on it or a panel is coming off: a convention the guide leaves open, like the trees and
  icicles of eval18, eval23 and eval28. The model's own urgency had flagged it (0.16); the "万一"
  after the report set it aside as hypothetical. It is tuned since eval55's change (a fear told
  after the report no longer vetoes the model), which catches it.
- `eval49_blind.jsonl` (520 lines, two more writers: a Qingdao seaside community of 1980s walk-ups
  and salt wind, with Korean and Russian fishing-company staff; a Shenzhen Nanshan tower community of
  smart locks and app gates, with Singaporean, Indian and British engineers; 50% English): written at
  the start of the session after eval48's, sealed (sha256 c0bb83c1…) and measured once on b20b873:
  queue 97.3% (en 96.2%, zh 98.5%), urgent recall 100% (94 of 94), false alarms 4.5% (en 3.7%, zh
  5.2%): every bar met. Its misses were not read.
- `eval50_tuned.jsonl` (520 lines, two more writers: a Lanzhou Yellow River community of dust
  storms and converted coal boilers, with Pakistani and Kazakh students and traders; a Sanya
  resort-condo community of typhoons and mould, with Russian and Australian owners; 50% English):
  written beside eval49, sealed (sha256 b460ffce…) and measured once on ec04766 (b20b873's
  decisions): queue 97.9% (en 97.3%, zh 98.5%), urgent recall 98.9% (93 of 94: one English request
  missed), false alarms 4.5% (en 6.1%, zh 2.8%). Its one miss was read: "Rain is coming thru the
  ceiling light in our lounge, not drops, a stream", the kind eval29's and eval35's misses taught,
  spelt "thru"; the concepts read "thru" wherever they read "through" since, which moved no other
  line of the corpus or the sets.
- `eval51_blind.jsonl` (520 lines, two more writers: a Tianjin community of 1970s brick blocks and
  a riverside tower, with Japanese and German car-plant managers; a Hangzhou garden community of
  villas, canals and night-time livestreamers, with Filipino helpers, American teachers and a
  Nigerian trader; 50% English): written while eval50 was, sealed (sha256 43c59b6a…) before eval50's
  change and measured once after it: queue 97.1% (en 96.5%, zh 97.7%), urgent recall 100% (94 of
  94), false alarms 5.6% (en 3.3%, zh 8.0%): every bar met. Its misses were not read.
- `eval52_blind.jsonl` (520 lines, two more writers: a Changsha community of mid-rise blocks over
  restaurants and night markets, toddlers and the grandparents who raise them, with Korean and
  Vietnamese students and a French chef; a Xiamen island community of seaside villas, typhoon
  shutters and Minnan-speaking elders, with Taiwanese, Malaysian and Canadian residents; 50%
  English): commissioned when eval51 was measured, sealed (sha256 1d211452…) and measured once on
  c25a582, the last change of decisions: queue 97.9% (en 96.5%, zh 99.2%), urgent recall 100% (94
  of 94), false alarms 4.7% (en 3.7%, zh 5.7%): every bar met. Its misses were not read.
- `eval53_blind.jsonl` (520 lines, two more writers: a Shenyang community of 1950s worker blocks
  under retrofit scaffolding, with widowed elders living alone and Russian, Ukrainian and Mongolian
  traders and teachers; a Suzhou industrial-park community of lakeside towers and expatriate
  factory families; 50% English): commissioned when eval52 was measured, sealed (sha256 9beb18d7…)
  and measured once on 4577df8 (c25a582's decisions): queue 97.9% (en 98.5%, zh 97.3%), urgent
  recall 100% (94 of 94), false alarms 2.8% (en 4.7%, zh 0.9%): every bar met. Its misses were not
  read.
- `eval54_blind.jsonl` (520 lines, two more writers: a Chongqing mountainside community of
  footbridges, stairs and voice-typing river-port elders, with Thai and Cameroonian students and a
  Scottish engineer; a Beijing Wangjing community of 1990s towers, scooter chargers in corridors and
  sandstorms, with Korean, Japanese and American residents; 50% English): commissioned when eval53
  was, sealed (sha256 80682b01…) and measured once on the router of c25a582's decisions: queue
  97.3% (en 96.9%, zh 97.7%), urgent recall 100% (94 of 94), false alarms 4.7% (en 5.6%, zh 3.8%):
  every bar met. Its misses were not read.
- `eval55_tuned.jsonl` (520 lines, two more writers: a Hohhot community at the grassland's edge of
  winds and barbecue smoke, with Mongolian students, a Russian doctor and a Turkish restaurateur; a
  Zhuhai community facing Macau of typhoons, cross-border commuters and traditional characters,
  with Portuguese, Macanese and Filipino residents; 50% English): commissioned when eval54 was,
  sealed (sha256 980c05f0…) and measured once on 7211853 (c25a582's decisions): queue 97.3% (en
  97.7%, zh 96.9%), urgent recall 96.8% (91 of 94: three missed), false alarms 4.0% (en 5.1%, zh
  2.8%). Its misses were read. A gas pipe drilled through by workers "who have already left"
  (人已经走了 was read as the danger being over: someone gone now settles only what a person did);
  a cracked window bending in a typhoon, "if it goes it lands on the entrance" (a fear told after
  the report vetoed the model's own urgency, 0.39, as if it were a hypothetical question: no
  longer). Both are caught since; the third is left: a loose glass balustrade where children play,
  the corpus's railing convention (normal unless a child is on it), placed in cleaning besides.
- `eval56_tuned.jsonl` (520 lines, two more writers: a Nanning community of subtropical rains,
  motorbikes and snail-noodle shops, with Vietnamese traders, a Laotian student and a South African
  teacher; a Dalian hillside community of sea fog and icy slopes, with Japanese, Korean and
  Norwegian shipping staff; 50% English): commissioned when eval55 was measured, sealed (sha256
  3524eb1a…) and measured once on 04682f7, eval55's change: queue 98.5% (en 97.3%, zh 99.6%),
  urgent recall 98.9% (93 of 94: one English request missed), false alarms 3.5% (en 3.3%, zh
  3.8%). Its miss was read: a street lamp lying across a path, "cables out, all wet from the fog";
  the live-wire concept knew wires, not cables, and not "out" alone. It reads both since (not "out
  of", which is where a cable goes); no other line of the corpus or the sets changed its flag.
- `eval57_blind.jsonl` (520 lines, two more writers: a Kunshan community of townhouses between
  canals and factories, night-shift workers and gas water heaters, with Taiwanese managers and Thai
  and Mexican engineers; a Xining plateau community of cold nights, Tibetan, Hui and Han neighbours,
  with Nepali, Kyrgyz and Australian residents; 50% English): commissioned when eval56 was
  measured, sealed (sha256 e1114f26…) and measured once on 53c94ee, the last change of decisions:
  queue 98.1% (en 97.7%, zh 98.5%), urgent recall 100% (94 of 94), false alarms 5.6% (en 5.1%, zh
  6.1%): every bar met. Its misses were not read.
- `eval58_blind.jsonl` (520 lines, two more writers: a Hefei science-city community beside a
  village being demolished, resettled villagers and researchers, with Indian, Pakistani and Egyptian
  postdocs; a Guangzhou old-town community of arcade buildings and tangled overhead wiring, elders
  who type Cantonese in traditional characters, with African traders and a Brazilian family; 50%
  English): commissioned when eval57 was measured, sealed (sha256 c1d49f1d…) and measured once on
  114777c (53c94ee's decisions): queue 99.0% (en 98.5%, zh 99.6%), urgent recall 100% (94 of 94),
  false alarms 5.9% (en 7.5%, zh 4.2%): every bar met. Its misses were not read.
- `eval59_blind.jsonl` (520 lines, two more writers: a Wenzhou community of family businesses,
  garage workshops and stock in the corridors, with Italian, Spanish and Dubai-based trading
  partners; an Ordos new town of half-empty towers, desert wind and long-vacant flats, with
  Mongolian and Kazakh engineers and a German wind-farm technician; 50% English): commissioned
  with eval60, sealed (sha256 02e4ace9…) and measured once on dd116db (53c94ee's decisions): queue
  97.5% (en 96.9%, zh 98.1%), urgent recall 100% (94 of 94), false alarms 4.2% (en 5.1%, zh 3.3%):
  every bar met. Its misses were not read.
- `eval60_blind.jsonl` (520 lines, two more writers: a Jinan spring-city community of courtyard
  houses, old lead pipes and retired teachers' formal messages, with Korean exchange students and an
  American scholar; a Shanghai Pudong compound of villas and serviced apartments, private lifts and
  concierge expectations, with French, Japanese, Singaporean and Australian families; 50% English):
  commissioned when eval58 was measured, sealed (sha256 d4c357c3…) and measured once on d727362
  (53c94ee's decisions): queue 97.5% (en 96.5%, zh 98.5%), urgent recall 100% (94 of 94), false
  alarms 3.8% (en 4.2%, zh 3.3%): every bar met. Its misses were not read.
- `eval61_tuned.jsonl` (520 lines, two more writers: a Harbin-suburb community of old blocks by a
  rail yard, frozen pipes and gruff railway retirees, with Russian shuttle traders and a Belarusian
  teacher; a Shenzhen urban village of handshake buildings, indoor battery charging and shift
  workers, with Bangladeshi, Nigerian and Indonesian workers and traders; 50% English):
  commissioned when eval59 and eval60 were measured, sealed (sha256 2db0fc29…) and measured once
  on 06c7a65 (53c94ee's decisions): queue 97.7% (en 97.7%, zh 97.7%), urgent recall 98.9% (93 of
  94: one English request missed), false alarms 5.4% (en 6.5%, zh 4.2%). Its miss was read: "my
  shop ceiling is raining inside like somebody open a tap upstairs … buckets they full in 2 min"
  (the model 0.055 against its threshold 0.058). The flooding concept learnt water told by how fast
  it comes (raining indoors, like a tap left on, a bucket or basin full in minutes, in both
  languages); no other line changed its flag.
- `eval62_blind.jsonl` (520 lines, two more writers: a Xiamen Jimei university-town community of
  lecturers, students and a lagoon path, with Malaysian, Indonesian and Thai Chinese students and a
  Dutch professor; a Changchun film-studio-era community of 1950s blocks and theatrical retirees,
  with border traders, a Japanese engineer and a Canadian coach; 50% English): commissioned with
  eval61, sealed (sha256 039642e1…) and measured once on 06c7a65 (53c94ee's decisions): queue 98.3%
  (en 98.8%, zh 97.7%), urgent recall 100% (94 of 94), false alarms 4.0% (en 3.7%, zh 4.2%): every
  bar met. Its misses were not read.
- `eval63_blind.jsonl` (520 lines, two more writers: a Fuzhou community by the Min River of
  banyans, flooded ground-floor shops and elders living alone, with Filipino and Indonesian carers
  and an American family; a Tangshan steel-town community of rebuilt blocks, coal dust and boilers,
  with Ukrainian, Brazilian and Australian steel-trade engineers; 50% English): commissioned when
  eval61 was measured, sealed (sha256 a51dd721…) and measured once on 20687a6, eval61's change and
  the last change of decisions: queue 97.7% (en 97.3%, zh 98.1%), urgent recall 100% (94 of 94),
  false alarms 4.7% (en 5.1%, zh 4.2%): every bar met. Its misses were not read.
- `eval64_blind.jsonl` (520 lines, two more writers: a Yanjiao commuter community of huge towers
  empty by day, elderly parents minding grandchildren, with Kenyan, Russian and Italian residents; a
  Lijiang old-town community of timber courtyard inns and canals, with backpackers, an Israeli
  innkeeper and a Swiss guesthouse owner; 50% English): commissioned with eval63, sealed (sha256
  0bdc58f8…) and measured once on 5239499 (20687a6's decisions): queue 96.7% (en 95.0%, zh 98.5%),
  urgent recall 100% (94 of 94), false alarms 2.8% (en 1.9%, zh 3.8%): every bar met. Its misses
  were not read.
- `eval65_blind.jsonl` (520 lines, two more writers: a Wuxi lakeside community of algae summers,
  silk-factory retirees and electric tricycles, with German, Korean and Vietnamese factory managers;
  a Yinchuan community of sandstorms, Hui families and halal restaurants, with Pakistani, Jordanian
  and Kazakh students and a Spanish winemaker; 50% English): commissioned when eval64 was, sealed
  (sha256 527163f2…) and measured once on 7ed70fa (20687a6's decisions): queue 97.9% (en 98.1%, zh
  97.7%), urgent recall 97.9% (92 of 94), false alarms 2.8% (en 2.8%, zh 2.8%). Its two misses were
  read and nothing was changed for them: one storm-broken branch hanging by its bark over a
  kindergarten path, told once in each language, placed high. The guide calls "a tree damaged so
  that it may fall" high, and both writers said they had made a judgement call against it; the
  corpus and eval18 and eval28 hold the guide's way.
- `eval66_blind.jsonl` (520 lines, two more writers: a Guilin community of karst hills, river
  floods and guesthouses, with backpackers, a Dutch couple and a Japanese photographer; a Taiyuan
  coal-city community of mine-company blocks, old gas pipes and smog, with Mongolian, Indian and
  American engineers; 50% English): commissioned with eval65, sealed (sha256 37b7529f…) and
  measured once on 7ed70fa (20687a6's decisions): queue 97.9% (en 98.1%, zh 97.7%), urgent recall
  100% (94 of 94), false alarms 3.1% (en 3.3%, zh 2.8%): every bar met. Its misses were not read.
- `eval67_tuned.jsonl` (520 lines, two more writers: a Zhengzhou railway-hub community of heat
  waves, flooded underpasses and shared rented flats, with Ethiopian, Pakistani and Polish logistics
  staff; a Haikou old-port community of typhoons and wintering north-eastern retirees, with
  Russian, Ukrainian and Malaysian owners; 50% English): commissioned when eval65 and eval66 were
  measured, sealed (sha256 78441e4f…) and measured once on 795f852 (20687a6's decisions): queue
  98.1% (en 98.5%, zh 97.7%), urgent recall 98.9% (93 of 94: one English request missed), false
  alarms 4.0% (en 3.7%, zh 4.2%). Its miss was read: "we are 6 people stuck in the left number 2
  in the new tower, doors won't open, very hot inside no air", a lift spelt "left" (the model 0.053
  against 0.058). The trapped concept reads people stuck in a place whose doors will not open,
  whatever the place is called, since; no other line changed its flag.
- `eval68_blind.jsonl` (520 lines, two more writers: a Nanchang riverside community of river
  floods, aviation-factory retirees and left-behind children, with Ghanaian and Indian students and
  a Korean pastor; a Shenzhen Shekou community of port-company flats and sea-view towers, domestic
  helpers and typhoon shutters, with British, Filipino, Indian and Brazilian residents and
  Cantonese-writing commuters; 50% English): commissioned with eval67, sealed (sha256 e3824fe6…) and
  measured once on 795f852 (20687a6's decisions): queue 98.8% (en 98.5%, zh 99.2%), urgent recall
  100% (94 of 94), false alarms 3.1% (en 2.3%, zh 3.8%): every bar met. Its misses were not read.
- `eval69_tuned.jsonl` (520 lines, two more writers: a Hangzhou Binjiang tech-park community of
  996 programmers, delivery riders and smart gadgets, with Indian, Ukrainian and Brazilian
  engineers; a Luoyang community of tractor-factory blocks, peony crowds and dusty winds, with
  Russian, Belarusian and Kazakh machinery traders; 50% English): commissioned when eval67 was
  measured, sealed (sha256 128d4212…) and measured once on 4f09784, eval67's change: queue 97.5% (en
  96.9%, zh 98.1%), urgent recall 98.9% (93 of 94: one Chinese request missed), false alarms 4.0%
  (en 4.7%, zh 3.3%). Its miss was read: a power line blown down, "耷拉在地上", wet ground, children
  passing; the live-wire concept read bare and exposed wires, not a wire down on the ground. It
  does since (in Chinese; eval56 had taught the English), and three such lines the model had
  placed in cleaning go to engineering.
- `eval70_tuned.jsonl` (520 lines, two more writers: a Qingyuan hot-spring resort community of
  villas on slopes, with Hong Kong owners writing Cantonese and Canadian and Australian owners; a
  Baotou steel-town community of Soviet-era blocks and winter gales, with Mongolian-national
  traders, a German metallurgist and a Nigerian student; 50% English): commissioned with eval69,
  sealed (sha256 de5c2178…) and measured once on 4f09784: queue 98.5% (en 98.8%, zh 98.1%), urgent
  recall 98.9% (93 of 94: one English request missed), false alarms 5.4% (en 5.1%, zh 5.7%). Its
  miss was read: a retaining wall leaning out with "dirt and rocks sliding down onto the path as I
  type". The structure concept reads earth and stones sliding down and a wall or bank leaning or
  bulging out since, in both languages (not the bare word "landslide", which owners also use for
  nets, repairs and worries); no other line changed its flag.
- `eval71_blind.jsonl` (520 lines, two more writers: a Shijiazhuang community of textile-mill
  blocks, smog and coal-to-gas heating, with Korean, Pakistani and Zambian students; a Kunming
  Dianchi-lakeside community of sun, hail and retired cadres, Yi and Bai families, with Thai,
  Burmese and French residents; 50% English): commissioned when eval69 and eval70 were read,
  sealed (sha256 2aca96af…) and measured once on d84b5fc, their change and the last change of
  decisions: queue 98.7% (en 98.1%, zh 99.2%), urgent recall 100% (94 of 94), false alarms 5.2% (en
  4.2%, zh 6.1%): every bar met. Its misses were not read.
- `eval72_blind.jsonl` (520 lines, two more writers: a Chengdu Tianfu community of tea houses,
  hot pot and Sichuanese typing, with Spanish, Indian and Nigerian engineers; a Weihai seaside
  community of sea fog and sea-effect snow, fishermen and Korean residents, with Russian short-term
  renters; 50% English): commissioned with eval71, sealed (sha256 3566fc3f…) and measured once on
  d84b5fc: queue 98.1% (en 98.1%, zh 98.1%), urgent recall 100% (94 of 94), false alarms 5.9% (en
  6.1%, zh 5.7%): every bar met. Its misses were not read.
- `eval73_blind.jsonl` (520 lines, two more writers: a Yangzhou old-canal community of brick
  houses, bathhouses and elders living alone, with Japanese, Italian and Ghanaian residents; a
  Zhuhai Hengqin community of new glass towers, casino shift workers and new-build defects, with
  Portuguese, Filipino, Nepali and Australian residents; 50% English): commissioned when eval71 and
  eval72 were measured, sealed (sha256 6aa8b750…) and measured once on 9ebb764 (d84b5fc's
  decisions): queue 98.5% (en 97.7%, zh 99.2%), urgent recall 100% (94 of 94), false alarms 4.7%
  (en 4.2%, zh 5.2%): every bar met. Its misses were not read.
- `eval74_blind.jsonl` (520 lines, two more writers: a Kaifeng old-city community of courtyard
  houses, night-market smoke and coal stoves, with Israeli, American and Korean scholars; a
  Shenyang Hunnan community of frozen winters, district heating and car-factory engineers, with
  German, Czech and Korean engineers; 50% English): commissioned with eval73, sealed (sha256
  c934e05d…) and measured once on 9ebb764 (d84b5fc's decisions): queue 97.7% (en 96.9%, zh 98.5%),
  urgent recall 100% (94 of 94), false alarms 4.7% (en 6.5%, zh 2.8%): every bar met. Its misses
  were not read.
- `eval75_tuned.jsonl` (520 lines, two more writers: a Hankou community by the Yangtze of 1980s
  brick blocks and 40-floor towers, retired railway workers, with Japanese, French and Pakistani
  residents; a Taiyuan community of old mining-company walk-ups, old gas pipes and elders living
  alone, with Australian, Ukrainian, Mongolian and American residents; 50% English): written in
  the session after eval74, sealed (sha256 daf74643…) and measured once on 6907eb4 (d84b5fc's
  decisions): queue 96.3% (en 96.5%, zh 96.2%), urgent recall 100% (94 of 94), false alarms 4.5%
  (en 5.2%, zh 3.8%): every bar met. Tuned since: one of its urgent lines, caught before, was
  lost by the first draft of the change eval76's and eval77's misses led to, and the draft was
  widened until it was caught again.
- `eval76_tuned.jsonl` (520 lines, two more writers: a Beilun port community of typhoons, rust and
  container trucks, with Indian, German, Brazilian and Filipino residents; an Urumqi community of
  Uyghur, Hui and Han families, -25°C winters and small earthquakes, with Kazakh, Russian and
  Turkish residents; 50% English): commissioned with eval75, sealed (sha256 90217964…) and
  measured once on 6907eb4: queue 96.9% (en 97.3%, zh 96.5%), urgent recall 98.9% (93 of 94),
  false alarms 4.5% (en 4.2%, zh 4.7%). Its one miss, hornets swarming over a kindergarten's
  sandpit while the children are out at play, was read.
- `eval77_tuned.jsonl` (520 lines, two more writers: a Haitang Bay holiday-flat community of damp,
  typhoons and absent northern owners, with Russian, Canadian, Korean and Li residents; a Qujiang
  community of tourists, night markets and underground car parks, with Kazakh, Italian, Egyptian
  and Japanese residents; 50% English): commissioned with eval75, sealed (sha256 8ba9510a…) and
  measured once on 6907eb4: queue 96.3% (en 94.2%, zh 98.5%), urgent recall 98.9% (93 of 94),
  false alarms 6.1% (en 6.5%, zh 5.7%). Its one miss, broken glass at a splash pad where
  toddlers run barefoot, was read; with eval76's it named a kind the concepts lacked: a hazard
  (glass, needles, a swarm) where children are at this moment. Corpus writers had labelled the
  same hazard high where children play on other days or are about to come, and the concept keeps
  that apart.
- `eval78_blind.jsonl` (520 lines, two more writers: a Datong community of rebuilt courtyards by the
  city wall, sandstorms and coal-to-electric heating, with German, Mongolian and American
  residents; a Quanzhou community of red-brick overseas-Chinese houses, typhoons and Minnan-typed
  Chinese, with Indonesian, Malaysian, Sri Lankan and British residents; 50% English):
  commissioned while eval75 to eval77 were measured, sealed (sha256 90d5ac4b…) and measured once
  on 643e881 (their change): queue 96.7% (en 96.9%, zh 96.5%), urgent recall 98.9% (93 of 94),
  false alarms 4.7% (en 4.7%, zh 4.7%). Its one miss was read and nothing was changed for it: a
  split poplar branch swaying over a kindergarten gate, which its writer said was a judgement
  call against the guide's "a tree damaged so that it may fall" (high), as eval18's, eval28's and
  eval65's were.
- `eval79_blind.jsonl` (520 lines, two more writers: a Daqing oil-field community of -30°C winters,
  ice and retired oil workers, with Russian, Canadian and Korean-Chinese residents; a Liuzhou
  community of karst hills, river floods and snail-noodle smells, Zhuang and Miao families, with
  Vietnamese, Indonesian and New Zealand residents; 50% English): commissioned with eval78, sealed
  (sha256 2c5c6acb…) and measured once on 416f140 (643e881's decisions): queue 96.0% (en 95.8%, zh
  96.2%), urgent recall 98.9% (93 of 94), false alarms 6.6% (en 4.7%, zh 8.5%). Its one miss was
  read and nothing was changed for it: a rain-loosened tree leaning further over a kindergarten
  path, which the corpus's several dozen lines of trees and branches that may fall call high,
  as the guide does.
- `eval80_blind.jsonl` (520 lines, two more writers: a Yantai community of orchard hills, sea-effect
  snow and rooftop water tanks, with Korean, Japanese and Chilean residents; a Jingdezhen community
  of kilns in garages, clay dust and artists renting from elderly owners, with American, French,
  Korean and Ghanaian residents; 50% English): commissioned when eval78 and eval79 were measured,
  sealed (sha256 ce9f577f…) and measured once on 59c7bbe (643e881's decisions): queue 96.3% (en
  95.8%, zh 96.9%), urgent recall 97.9% (92 of 94), false alarms 6.8% (en 7.0%, zh 6.6%). Its two
  misses were read and nothing was changed for them: a storm-split branch hanging over a footpath
  people walk under (the guide's "a tree damaged so that it may fall", high) and steps iced over
  where two people slipped, which the corpus calls high until someone is hurt (18 lines high, 4
  urgent, each with a person injured).
- `eval81_blind.jsonl` (520 lines, two more writers: a Zunyi hillside community of stairs, fog and
  landslide-prone slopes, with Thai, Scottish and Laotian residents; a Lhasa community of thin air,
  electric heating, Tibetan and Han families and guesthouses, with Nepali, Swiss and Indian
  residents; 50% English): commissioned with eval80, sealed (sha256 d1429bc9…) and measured once on
  59c7bbe: queue 97.3% (en 96.2%, zh 98.5%), urgent recall 100% (94 of 94), false alarms 3.3% (en
  4.7%, zh 1.9%): every bar met. Its misses were not read.
- `eval82_blind.jsonl` (520 lines, two more writers: a Baotou steel-works community of dust, wind
  and -25°C winters, Mongolian and Han families, with Mongolian, Russian and German residents; a
  Shantou community of Chaoshan families, typhoons and elders left at home, with Thai-Chinese,
  Malaysian and Australian residents; 50% English): commissioned after eval80 and eval81 were
  measured, sealed (sha256 3eda06d4…) and measured once on 2dda8ad (643e881's decisions): queue
  97.5% (en 97.3%, zh 97.7%), urgent recall 100% (94 of 94), false alarms 4.7% (en 3.3%, zh
  6.1%): every bar met. Its misses were not read.
- `eval83_blind.jsonl` (520 lines, two more writers: a Wuhu riverside community of car and robot
  engineers and young families, with Brazilian, Indian and Czech engineers; a Mudanjiang border
  community of snowy winters and Soviet-style blocks, Korean-Chinese families, with Russian and
  Japanese residents; 50% English): commissioned with eval82, sealed (sha256 a35b4b9d…) and
  measured once on 2dda8ad: queue 96.7% (en 95.4%, zh 98.1%), urgent recall 100% (94 of 94),
  false alarms 5.4% (en 4.7%, zh 6.1%): every bar met. Its misses were not read.
Queue accuracy counts what the service does: an order the router is unsure of goes to customer
service (triage), which is right only when customer service is its queue.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from workorders import routing_model
from workorders.domain.routing import ROUTE_THRESHOLD

SETS = Path(__file__).parent.parent / "routing_sets"


@pytest.fixture(
    scope="module",
    params=[
        "eval1_tuned",
        "eval2_tuned",
        "eval3_tuned",
        "eval4_tuned",
        "eval5_tuned",
        "eval6_tuned",
        "eval7_tuned",
        "eval8_tuned",
        "eval9_tuned",
        "eval10_tuned",
        "eval11_tuned",
        "eval12_tuned",
        "eval13_tuned",
        "eval14_tuned",
        "eval15_tuned",
        "eval16_tuned",
        "eval17_blind",
        "eval18_tuned",
        "eval19_tuned",
        "eval20_blind",
        "eval21_blind",
        "eval22_tuned",
        "eval23_tuned",
        "eval24_blind",
        "eval25_tuned",
        "eval26_blind",
        "eval27_blind",
        "eval28_tuned",
        "eval29_tuned",
        "eval30_blind",
        "eval31_tuned",
        "eval32_tuned",
        "eval33_tuned",
        "eval34_tuned",
        "eval35_tuned",
        "eval36_tuned",
        "eval37_blind",
        "eval38_blind",
        "eval39_blind",
        "eval40_blind",
        "eval41_tuned",
        "eval42_blind",
        "eval43_tuned",
        "eval44_blind",
        "eval45_blind",
        "eval46_blind",
        "eval47_blind",
        "eval48_tuned",
        "eval49_blind",
        "eval50_tuned",
        "eval51_blind",
        "eval52_blind",
        "eval53_blind",
        "eval54_blind",
        "eval55_tuned",
        "eval56_tuned",
        "eval57_blind",
        "eval58_blind",
        "eval59_blind",
        "eval60_blind",
        "eval61_tuned",
        "eval62_blind",
        "eval63_blind",
        "eval64_blind",
        "eval65_blind",
        "eval66_blind",
        "eval67_tuned",
        "eval68_blind",
        "eval69_tuned",
        "eval70_tuned",
        "eval71_blind",
        "eval72_blind",
        "eval73_blind",
        "eval74_blind",
        "eval75_tuned",
        "eval76_tuned",
        "eval77_tuned",
        "eval78_blind",
        "eval79_blind",
        "eval80_blind",
        "eval81_blind",
        "eval82_blind",
        "eval83_blind",
    ],
)
def evaluation(request: pytest.FixtureRequest) -> routing_model.Evaluation:
    examples = routing_model.read_examples(SETS / f"{request.param}.jsonl")
    assert len(examples) >= 300
    result = routing_model.evaluate(
        routing_model.default_classifier(), examples, threshold=ROUTE_THRESHOLD
    )
    print("\n" + routing_model.evaluation.render(result, request.param))
    return result


def test_queue_accuracy_is_at_least_95_percent(
    evaluation: routing_model.Evaluation, request: pytest.FixtureRequest
) -> None:
    _unmet(
        request,
        eval14_tuned="94.4% (en 95.4%, zh 93.6%)",
        eval22_tuned="94.2% (en 94.7%, zh 93.8%)",
    )
    assert evaluation.accuracy >= 0.95


def test_english_requests_are_at_least_90_percent_right(
    evaluation: routing_model.Evaluation,
) -> None:
    assert evaluation.per_language["en"].accuracy >= 0.90


def test_every_urgent_request_is_flagged(
    evaluation: routing_model.Evaluation, request: pytest.FixtureRequest
) -> None:
    _unmet(
        request,
        # Read: the writers call urgent what the guide calls high (a tree or icicles that may fall).
        eval18_tuned="94 of 95: a branch hanging over a kindergarten gate, by the guide high",
        eval23_tuned="93 of 94: icicles over an entrance, high in the corpus's convention",
        eval28_tuned="92 of 93: a branch about to fall over a pavement, by the guide high",
        eval65_blind="92 of 94: a broken branch over a kindergarten path (twice), by the guide high",
        eval78_blind="93 of 94: a split poplar branch over a kindergarten gate, by the guide high",
        eval79_blind="93 of 94: a tree leaning over a kindergarten path, by the guide high",
        eval80_blind="92 of 94: a split branch over a footpath, by the guide high; icy steps, high in the corpus",
        # Read, nothing changed for it: the corpus calls a loose railing normal.
        eval55_tuned="93 of 94: a loose glass balustrade where children play, normal in the corpus",
    )
    assert evaluation.urgent_n > 0
    assert evaluation.urgent_recall == 1.0


def test_at_most_10_percent_of_the_others_are_flagged_in_each_language(
    evaluation: routing_model.Evaluation, request: pytest.FixtureRequest
) -> None:
    _unmet(
        request,
        eval14_tuned="13.4% overall, 16.7% of Chinese requests (39 of 234)",
        # 9.0% of its English requests when measured once (537057d); writer20's emergencies in the
        # corpus (9d7f65b) raised it to 11.8%; read, two of them were concepts' and were mended.
        eval36_tuned="6.8% overall, 10.8% of English requests (23 of 212), from the urgent head",
    )
    shares = [evaluation.false_alarm_share] + [
        part.false_alarm_share for part in evaluation.per_language.values()
    ]
    assert all(share is not None and share <= 0.10 for share in shares)


def _unmet(request: pytest.FixtureRequest, **measured: str) -> None:
    """A bar an older set still falls short of, said here, not hidden. These sets were tuned on, and
    each corpus change moves their figures by a point or so either way (the newest blind set is the
    measure). Strict, so the suite fails the day a set meets the bar and its mark must go."""
    for name, figure in measured.items():
        if name in request.node.callspec.id:
            request.applymarker(
                pytest.mark.xfail(strict=True, reason=f"short of the bar: {figure}")
            )
