#!/usr/bin/env python3
"""Deterministic generator for the `expenses` demo task data.

Writes train.jsonl, dev.jsonl and test.jsonl next to this file, then appends the
hand-written cases from hard.jsonl to test.jsonl.

Design notes
------------
* Phrasing templates are split between train / dev / test (about 60/20/20 per
  language and per template kind), so dev and test contain phrasings that never
  occur in train.
* Merchants are split per scene and language: train only sees "train"
  merchants, dev/test mostly use held-out merchants.
* Every label is computed from the same values that are rendered into the text
  (date offset, amount, currency marker, merchant string), so labels are correct
  by construction.

Usage: python3 examples/expenses/generate.py   (stdlib only, seeded)
"""
import datetime as dt
import json
import math
import os
import random

HERE = os.path.dirname(os.path.abspath(__file__))
SEED = 20240611
LANGS = ["en", "tw", "cn", "ja"]  # English, Traditional (Taiwan), Simplified (mainland), Japanese
PER_LANG = {"train": 130, "dev": 45, "test": 45}

# ---------------------------------------------------------------------------
# Scenes: category + plausible items and merchants per language.
# Items / merchants are "|"-separated. cls selects verb templates
# (eat, drink, buy, pay, ride, or "" for none). place: merchant is a physical
# place ("at X" / "在X" work). monly: the merchant alone implies the category.
# needm: items alone are too vague, always mention the merchant.
# usd: price range on a US-price scale, converted with price-level factors.
# rn: ride nouns (for ride templates). qty: (plural item, counter) per language.
# ---------------------------------------------------------------------------


def S(cat, key, usd, cls="", place=False, monly=False, needm=False, rn=None, qty=None, **langs):
    d = {"cat": cat, "key": key, "usd": usd, "cls": cls, "place": place, "monly": monly,
         "needm": needm, "rn": rn or {}, "qty": qty or {}}
    for lang in LANGS:
        items, merchants = langs[lang]
        d[lang] = ([x for x in items.split("|") if x], [x for x in merchants.split("|") if x])
    return d


SCENES = [
    # ---------------- food ----------------
    S("food", "coffee", (3, 8), "drink", True, True,
      qty={"en": ("coffees", None), "tw": ("咖啡", "杯"), "cn": ("咖啡", "杯"), "ja": ("コーヒー", "杯")},
      en=("coffee|latte|iced americano|cappuccino|flat white|cold brew",
          "Starbucks|Blue Bottle|Costa|Dunkin'|Peet's|Tim Hortons|Pret|Caffè Nero"),
      tw=("咖啡|拿鐵|冰美式|熱美式", "星巴克|路易莎|cama café|85度C|伯朗咖啡|Starbucks|黑沃咖啡"),
      cn=("咖啡|拿铁|冰美式|生椰拿铁", "星巴克|瑞幸|Manner|库迪|Costa|Tims|Seesaw"),
      ja=("コーヒー|カフェラテ|アイスコーヒー|抹茶ラテ",
          "スタバ|ドトール|タリーズ|コメダ珈琲|ブルーボトル|エクセルシオール|サンマルク")),
    S("food", "meal", (8, 40), "eat", True, True,
      en=("lunch|dinner|brunch|pizza|ramen|sushi|a burger and fries|tacos|pho|breakfast",
          "McDonald's|Chipotle|Subway|Shake Shack|Nando's|Five Guys|KFC|Domino's|Wagamama|Panda Express|Sweetgreen|In-N-Out"),
      tw=("午餐|晚餐|早餐|拉麵|牛肉麵|便當|火鍋|滷肉飯|義大利麵|水餃",
          "麥當勞|鼎泰豐|摩斯漢堡|八方雲集|肯德基|爭鮮|三商巧福|瓦城|吉野家|麥味登|石二鍋"),
      cn=("午饭|晚饭|早饭|火锅|麻辣烫|黄焖鸡米饭|烧烤|牛肉面|饺子|炸鸡",
          "麦当劳|肯德基|海底捞|西贝|老乡鸡|必胜客|萨莉亚|塔斯汀|太二|和府捞面"),
      ja=("ランチ|昼ご飯|夕飯|晩ご飯|ラーメン|牛丼|定食|寿司|焼肉|うどん",
          "吉野家|すき家|松屋|マクドナルド|一蘭|サイゼリヤ|スシロー|CoCo壱番屋|丸亀製麺|大戸屋|モスバーガー")),
    S("food", "delivery", (12, 40), "", False, True, needm=True,
      en=("takeout|food delivery|delivery order|dinner delivery", "DoorDash|Uber Eats|Deliveroo|Grubhub|Just Eat"),
      tw=("外送|晚餐外送|午餐外送", "Uber Eats|foodpanda|foodpanda熊貓"),
      cn=("外卖|午饭外卖|奶茶外卖|晚饭外卖", "美团|饿了么|淘宝闪购|京东秒送"),
      ja=("出前|デリバリー|フードデリバリー", "Uber Eats|出前館|Wolt|menu")),
    S("food", "groceries", (5, 90), "buy", True, True,
      en=("groceries|milk and eggs|fruit|snacks|bread|veggies|a sandwich|water and chips",
          "Walmart|Trader Joe's|Whole Foods|Tesco|Aldi|Lidl|Kroger|Safeway|Sainsbury's|7-Eleven|Waitrose"),
      tw=("菜|水果|零食|飲料|牛奶|麵包|飯糰|便當", "全聯|家樂福|全家|7-11|萊爾富|美廉社|好市多|OK超商|楓康"),
      cn=("菜|水果|零食|牛奶|饮料|面包|鸡蛋|矿泉水", "盒马|永辉|沃尔玛|全家|罗森|7-Eleven|叮咚买菜|山姆|物美|便利蜂"),
      ja=("食材|野菜|お菓子|飲み物|パン|おにぎり|弁当|牛乳",
          "セブン|ローソン|ファミマ|イオン|成城石井|業務スーパー|ライフ|まいばすけっと|西友|オーケー")),
    S("food", "snack", (2, 9), "buy", True, True,
      qty={"en": ("donuts", None), "tw": ("珍奶", "杯"), "cn": ("奶茶", "杯"), "ja": ("ドーナツ", "個")},
      en=("boba|bubble tea|ice cream|donuts|a smoothie|a pretzel",
          "Gong Cha|Krispy Kreme|Ben & Jerry's|Baskin-Robbins|Jamba|Auntie Anne's|Chatime"),
      tw=("珍奶|手搖飲|雞排|鹹酥雞|紅茶拿鐵|豆花", "50嵐|清心福全|可不可|迷客夏|CoCo都可|大苑子|麻古茶坊|鮮茶道"),
      cn=("奶茶|煎饼果子|烤串|冰淇淋|果茶|肉夹馍", "喜茶|蜜雪冰城|奈雪|茶百道|霸王茶姬|古茗|一点点"),
      ja=("タピオカ|アイス|クレープ|ドーナツ|たい焼き", "ゴンチャ|サーティワン|ミスド|シャトレーゼ|不二家")),
    # ---------------- transport ----------------
    S("transport", "taxi", (8, 45), "ride", False, True,
      rn={"en": ["a taxi", "a cab"], "tw": ["計程車", "小黃"], "cn": ["出租车", "的士"], "ja": ["タクシー"]},
      en=("taxi|cab|ride home|ride to the airport|taxi to work|cab home", "Uber|Lyft|Bolt|Grab|FreeNow|Addison Lee"),
      tw=("計程車|小黃|叫車|計程車回家", "Uber|台灣大車隊|yoxi|LINE TAXI|55688"),
      cn=("打车|出租车|网约车|打车回家", "滴滴|高德打车|曹操出行|T3出行|花小猪"),
      ja=("タクシー|タクシー代", "GO|Uber|S.RIDE|日本交通|DiDi")),
    S("transport", "metro", (1.5, 7), "ride", False, False,
      rn={"en": ["the subway", "the bus", "the metro"], "tw": ["捷運", "公車"], "cn": ["地铁", "公交"], "ja": ["電車", "バス"]},
      en=("subway|metro|bus fare|bus|tube fare|subway fare|metro card top-up", ""),
      tw=("捷運|公車|悠遊卡加值|捷運車資|公車錢", ""),
      cn=("地铁|公交|地铁票|公交卡充值|坐地铁", ""),
      ja=("電車|バス|電車賃|バス代|ICカードのチャージ", "JR|東京メトロ|都営バス|小田急")),
    S("transport", "train", (15, 110), "ride", False, True,
      rn={"en": ["the train"], "tw": ["高鐵", "台鐵", "自強號"], "cn": ["高铁", "动车", "火车"], "ja": ["新幹線", "特急"]},
      qty={"en": ("train tickets", None), "tw": ("高鐵票", "張"), "cn": ("高铁票", "张"), "ja": ("新幹線の切符", "枚")},
      en=("train ticket|train fare|high-speed rail ticket|return train ticket|rail ticket",
          "Amtrak|Eurostar|Trainline|LNER|Deutsche Bahn"),
      tw=("高鐵|高鐵票|台鐵|火車票|自強號車票", ""),
      cn=("高铁票|火车票|动车票|高铁", ""),
      ja=("新幹線|新幹線代|特急券|新幹線の切符|特急料金", "JR東海|JR東日本|JR西日本")),
    S("transport", "fuel", (25, 70), "", True, True,
      en=("gas|fuel|a tank of gas|gas for the car|diesel", "Shell|Chevron|BP|Esso|Exxon|Texaco"),
      tw=("加油|油錢|汽油|機車加油", "中油|台塑石油|全國加油站"),
      cn=("加油|油费|汽油", "中石化|中石油|壳牌"),
      ja=("ガソリン|給油|ガソリン代", "ENEOS|出光|コスモ石油|apollostation")),
    S("transport", "parking", (3, 25), "pay", True, False,
      en=("parking|parking garage|parking meter|bridge toll|toll", ""),
      tw=("停車費|停車|路邊停車費", ""),
      cn=("停车费|停车|过路费|高速费", ""),
      ja=("駐車場|駐車代|高速代|コインパーキング|駐輪場", "タイムズ|三井のリパーク")),
    # ---------------- travel ----------------
    S("travel", "flight", (80, 600), "buy", False, True,
      qty={"en": ("plane tickets", None), "tw": ("機票", "張"), "cn": ("机票", "张"), "ja": ("航空券", "枚")},
      en=("flight to Denver|plane tickets|airfare|flight home|return flight to Lisbon|flight to Chicago",
          "United|Delta|Ryanair|easyJet|Southwest|Expedia|British Airways|JetBlue"),
      tw=("機票|飛大阪的機票|來回機票|回台北的機票", "長榮|華航|星宇|虎航|樂桃|Trip.com"),
      cn=("机票|回家的机票|往返机票|飞成都的机票", "携程|东航|国航|春秋航空|南航|飞猪"),
      ja=("航空券|飛行機代|沖縄行きの航空券|往復の航空券", "ANA|JAL|ピーチ|ジェットスター|スカイマーク")),
    S("travel", "hotel", (60, 400), "pay", True, True,
      en=("hotel|hotel room|two nights at the hotel|hostel|motel", "Marriott|Hilton|Airbnb|Holiday Inn|Hyatt|Premier Inn"),
      tw=("住宿|飯店|民宿|訂房|旅館", "Agoda|Airbnb|福華|晶華|老爺酒店"),
      cn=("酒店|住宿|民宿|订酒店", "如家|汉庭|亚朵|全季|锦江之星"),
      ja=("ホテル|宿泊費|旅館|ホテル代|民宿", "東横イン|アパホテル|ドーミーイン|ルートイン|星野リゾート")),
    S("travel", "tour", (20, 150), "buy", False, False,
      en=("city tour|walking tour|tour tickets|day trip tour|boat tour", "Klook|GetYourGuide|Viator"),
      tw=("一日遊|導覽行程|包車一日遊|遊船行程", "KKday|Klook"),
      cn=("一日游|跟团游|导游费|包车游", "携程|飞猪|马蜂窝"),
      ja=("ツアー|観光ツアー|日帰りツアー|バスツアー", "HIS|JTB|Klook|KKday")),
    # ---------------- housing ----------------
    S("housing", "rent", (500, 2500), "pay", False, False,
      en=("rent|mortgage payment|mortgage|my share of the rent|rent for the apartment", ""),
      tw=("房租|租金|房貸|套房租金", ""),
      cn=("房租|房贷|月供|租金", ""),
      ja=("家賃|住宅ローン|部屋代", "")),
    # ---------------- utilities ----------------
    S("utilities", "power", (30, 200), "pay", False, True,
      en=("electric bill|electricity|power bill|electricity bill", "PG&E|Con Edison|Octopus Energy|Duke Energy|EDF"),
      tw=("電費|電費帳單|這期電費", "台電"),
      cn=("电费|电费账单", "国家电网|南方电网"),
      ja=("電気代|電気料金", "東京電力|関西電力|中部電力|東電")),
    S("utilities", "water_gas", (20, 150), "pay", False, True,
      en=("gas bill|heating bill|water bill|water and sewer", "British Gas|SoCalGas"),
      tw=("瓦斯費|水費|天然氣費", "大台北瓦斯|欣欣天然氣"),
      cn=("燃气费|水费|暖气费", "港华燃气|华润燃气"),
      ja=("ガス代|水道代|水道料金|ガス料金", "東京ガス|大阪ガス")),
    S("utilities", "telecom", (20, 90), "pay", False, True,
      en=("phone bill|internet bill|wifi bill|cell phone plan|broadband", "Verizon|AT&T|T-Mobile|Comcast|Vodafone|BT|Xfinity|EE"),
      tw=("電話費|手機費|網路費|月租費", "中華電信|台灣大哥大|遠傳|台灣之星|亞太電信"),
      cn=("话费|宽带费|手机话费|流量包", "中国移动|联通|电信"),
      ja=("携帯代|スマホ代|ネット代|通信費|光回線", "ドコモ|ソフトバンク|au|楽天モバイル|ahamo|ワイモバイル")),
    # ---------------- health ----------------
    S("health", "medicine", (5, 40), "buy", True, False,
      en=("cold medicine|allergy pills|vitamins|painkillers|prescription|band-aids", "CVS|Walgreens|Boots|Rite Aid|Superdrug"),
      tw=("感冒藥|維他命|胃藥|口罩|藥", "大樹藥局|杏一|丁丁藥局|屈臣氏|康是美"),
      cn=("感冒药|维生素|创可贴|布洛芬|药", "大参林|老百姓大药房|叮当快药|益丰大药房"),
      ja=("風邪薬|目薬|胃薬|ビタミン剤|薬", "マツキヨ|ウエルシア|スギ薬局|ツルハ|サンドラッグ")),
    S("health", "doctor", (20, 200), "pay", False, False,
      en=("doctor visit|dentist|copay|checkup|physio session|eye exam", ""),
      tw=("看醫生|掛號費|看牙醫|看診|健檢", ""),
      cn=("挂号费|看牙|体检|看病|看医生", ""),
      ja=("病院|診察代|歯医者|病院代|健康診断", "")),
    S("health", "gym", (15, 90), "pay", True, True,
      en=("gym membership|gym|monthly gym fee|personal training session|gym day pass",
          "Planet Fitness|24 Hour Fitness|PureGym|Equinox|Gold's Gym|Anytime Fitness"),
      tw=("健身房|健身房月費|健身房會費", "World Gym|Anytime Fitness|健身工廠|Curves"),
      cn=("健身房|健身卡|健身房月卡", "超级猩猩|乐刻|威尔士|一兆韦德"),
      ja=("ジム|ジムの月会費|ジム代", "エニタイム|ゴールドジム|chocoZAP|コナミスポーツ|ティップネス")),
    # ---------------- education ----------------
    S("education", "books", (8, 60), "buy", True, False,
      qty={"en": ("books", None), "tw": ("書", "本"), "cn": ("书", "本"), "ja": ("本", "冊")},
      en=("a book|textbook|novel|paperback|cookbook|a couple of books", "Barnes & Noble|Waterstones|Powell's|Blackwell's|Books-A-Million"),
      tw=("書|參考書|小說|課本|原文書|工具書", "誠品|博客來|金石堂|紀伊國屋|墊腳石"),
      cn=("书|教材|小说|考研资料|练习册", "当当|新华书店|西西弗|中信书店|多抓鱼"),
      ja=("本|参考書|小説|問題集|技術書|教科書", "紀伊國屋|丸善|ジュンク堂|ブックオフ|三省堂|有隣堂")),
    S("education", "courses", (15, 300), "pay", False, True,
      en=("online course|guitar lesson|Spanish class|tutoring|piano lessons|exam fee",
          "Udemy|Coursera|Duolingo|Skillshare|MasterClass|Babbel"),
      tw=("英文課|線上課程|補習費|鋼琴課|學費|日文課", "Hahow|Udemy|巨匠|地球村|PressPlay"),
      cn=("网课|英语课|补习费|钢琴课|学费|考试报名费", "得到|网易云课堂|新东方|极客时间|学而思"),
      ja=("英会話|オンライン講座|月謝|ピアノのレッスン|塾代|授業料", "Udemy|スタディサプリ|ECC|DMM英会話|公文|ベルリッツ")),
    # ---------------- entertainment ----------------
    S("entertainment", "movies", (8, 40), "", True, True,
      qty={"en": ("movie tickets", None), "tw": ("電影票", "張"), "cn": ("电影票", "张"), "ja": ("映画のチケット", "枚")},
      en=("movie tickets|movie|cinema|popcorn and a movie|IMAX ticket", "AMC|Regal|Odeon|Cineworld|Alamo Drafthouse|Vue"),
      tw=("電影|電影票|IMAX|看電影", "威秀|國賓影城|秀泰|美麗華|喜樂時代"),
      cn=("电影票|看电影|IMAX|电影", "万达影城|猫眼|淘票票|CGV|博纳影城"),
      ja=("映画|映画のチケット|映画代|IMAX", "TOHOシネマズ|イオンシネマ|109シネマズ|ユナイテッド・シネマ|新宿ピカデリー")),
    S("entertainment", "streaming", (5, 20), "pay", False, True, needm=True,
      en=("subscription|monthly subscription|streaming sub|premium plan|family plan",
          "Netflix|Spotify|Disney+|HBO Max|YouTube Premium|Apple Music|Hulu|Crunchyroll|Paramount+"),
      tw=("訂閱|月費|會員|訂閱費", "Netflix|Spotify|Disney+|KKBOX|YouTube Premium|friDay影音|愛奇藝|Apple Music"),
      cn=("会员|会员费|续费|月卡|年费", "爱奇艺|腾讯视频|B站|QQ音乐|网易云音乐|优酷|芒果TV"),
      ja=("サブスク|月額|会費|月額料金", "Netflix|Spotify|U-NEXT|DAZN|Amazonプライム|ABEMA|Disney+")),
    S("entertainment", "karaoke", (15, 60), "", True, True,
      en=("karaoke|karaoke night|bowling|escape room|arcade", "Lucky Strike|Round1|Dave & Buster's"),
      tw=("KTV|唱歌|唱KTV|保齡球|密室逃脫", "錢櫃|好樂迪|星聚點"),
      cn=("KTV|唱K|剧本杀|密室逃脱|桌游", "纯K|唱吧麦颂|好乐迪|温莎KTV"),
      ja=("カラオケ|ボウリング|ダーツ|ゲーセン|脱出ゲーム", "まねきねこ|ビッグエコー|ラウンドワン|ジャンカラ|カラオケ館")),
    S("entertainment", "concert", (40, 250), "buy", False, True,
      qty={"en": ("concert tickets", None), "tw": ("演唱會門票", "張"), "cn": ("演唱会门票", "张"), "ja": ("ライブのチケット", "枚")},
      en=("concert tickets|gig tickets|a concert ticket|festival pass|show tickets", "Ticketmaster|StubHub|SeeTickets|AXS|Eventbrite"),
      tw=("演唱會門票|演唱會的票|音樂祭門票|舞台劇門票", "拓元|KKTIX|年代售票|寬宏售票"),
      cn=("演唱会门票|音乐节门票|话剧票|livehouse门票", "大麦|秀动|猫眼演出"),
      ja=("ライブのチケット|コンサートのチケット|フェスのチケット|舞台のチケット", "チケットぴあ|イープラス|ローチケ")),
    S("entertainment", "games", (5, 70), "buy", False, True,
      en=("video game|a new game|in-game coins|game DLC|game top-up", "Steam|Nintendo eShop|PlayStation Store|Xbox Store|Epic Games"),
      tw=("遊戲|遊戲點數|課金|手遊儲值", "Steam|MyCard|Nintendo eShop|PlayStation Store"),
      cn=("游戏|游戏充值|皮肤|点券", "Steam|腾讯游戏|网易游戏|王者荣耀|原神"),
      ja=("ゲーム|課金|ガチャ|ゲームソフト", "Steam|ニンテンドーeショップ|PlayStation Store")),
    # ---------------- shopping ----------------
    S("shopping", "clothes", (15, 150), "buy", True, True,
      qty={"en": ("t-shirts", None), "tw": ("T恤", "件"), "cn": ("T恤", "件"), "ja": ("Tシャツ", "枚")},
      en=("jeans|a jacket|sneakers|t-shirts|a dress|socks|a hoodie|running shoes",
          "Uniqlo|H&M|Zara|Nike|Gap|Primark|Old Navy|Adidas|Levi's"),
      tw=("衣服|褲子|外套|球鞋|襪子|T恤|帽子", "Uniqlo|NET|H&M|ZARA|GU|Nike|adidas"),
      cn=("衣服|裤子|外套|运动鞋|袜子|T恤|羽绒服", "优衣库|安踏|李宁|ZARA|HM|太平鸟|波司登"),
      ja=("服|シャツ|靴|ジャケット|靴下|パーカー|スニーカー", "ユニクロ|GU|ZARA|しまむら|無印良品|ABCマート|H&M")),
    S("shopping", "electronics", (10, 150), "buy", True, False,
      en=("headphones|phone charger|keyboard|USB-C cable|mouse|power bank|HDMI adapter",
          "Best Buy|Apple Store|Currys|Micro Center|Argos|MediaMarkt"),
      tw=("耳機|充電線|滑鼠|行動電源|鍵盤|藍牙喇叭", "燦坤|全國電子|PChome|順發3C|Apple Store|小米之家"),
      cn=("耳机|充电器|数据线|键盘|鼠标|充电宝", "京东|小米之家|苏宁|华为商城|Apple Store"),
      ja=("イヤホン|充電器|マウス|キーボード|モバイルバッテリー|ケーブル", "ヨドバシ|ビックカメラ|ヤマダ電機|ケーズデンキ|Apple Store")),
    S("shopping", "home", (10, 300), "buy", True, True,
      en=("desk lamp|bookshelf|bedsheets|storage boxes|an office chair|towels|a rug", "IKEA|Target|HomeGoods|Dunelm|Wayfair"),
      tw=("檯燈|收納箱|床單|椅子|書櫃|毛巾", "IKEA|宜得利|特力屋|HOLA|大創"),
      cn=("台灯|收纳箱|床单|椅子|书架|毛巾", "宜家|名创优品|无印良品|网易严选|林氏家居"),
      ja=("ランプ|収納ボックス|カーテン|椅子|本棚|タオル", "ニトリ|IKEA|ダイソー|カインズ|セリア|無印")),
    S("shopping", "online", (10, 200), "buy", False, True,
      en=("birthday gift for mom|a gift|stuff online|online order|wedding gift|a present for Sam", "Amazon|Etsy|eBay|Target|Shein|Temu"),
      tw=("生日禮物|禮物|網購|交換禮物|母親節禮物", "蝦皮|momo|PChome|淘寶|Amazon"),
      cn=("生日礼物|礼物|网购|日用品", "淘宝|天猫|拼多多|京东|抖音商城"),
      ja=("プレゼント|誕生日プレゼント|日用品|ネット通販", "Amazon|楽天|メルカリ|ヤフショ|Qoo10")),
    # ---------------- other ----------------
    S("other", "haircut", (15, 60), "pay", True, True,
      en=("haircut|trim|haircut and wash", "Supercuts|Great Clips|Toni&Guy"),
      tw=("剪頭髮|剪髮|洗頭", "曼都|QB HOUSE|小林髮廊"),
      cn=("理发|剪头发|洗剪吹", "文峰|永琪"),
      ja=("散髪|カット|美容院", "QBハウス|アース")),
    S("other", "shipping", (5, 40), "pay", False, True,
      en=("postage|shipping|stamps|mailing a package", "USPS|FedEx|UPS|Royal Mail|DHL"),
      tw=("郵資|寄包裹|運費|寄東西", "郵局|黑貓|新竹物流"),
      cn=("快递费|寄快递|运费|邮费", "顺丰|中通|圆通|京东快递|EMS"),
      ja=("郵便|送料|切手|荷物の発送", "ヤマト運輸|郵便局|佐川急便|クロネコ")),
    S("other", "misc", (5, 150), "", False, False,
      en=("laundry|dry cleaning|donation|bank fee|passport photos|key copy", ""),
      tw=("洗衣|乾洗|捐款|手續費|影印|證件照", ""),
      cn=("洗衣|干洗|捐款|手续费|打印|证件照", ""),
      ja=("クリーニング|寄付|手数料|証明写真|コインランドリー|コピー代", "")),
]

# ---------------------------------------------------------------------------
# Templates. Slots: {i} item, {m} merchant, {a} amount with currency marker,
# {r} ride noun; English dates {D} (sentence lead) / {t} (tail); Chinese {d};
# Japanese {d} (bare) / {dn} (with に for explicit dates).
# Multi-item: {i1} {a1} {i2} {a2} and {a} the stated total.
# Quantity: {q} count, {c} counter, {ip} plural item, {u} unit price, {a} total.
# Requirement tags: place, monly (merchant alone), eat/drink/buy/pay/ride,
# multi, qty.
# ---------------------------------------------------------------------------
T = {
    "en": [
        ("{i} {a}", ""), ("{D} {i} {a}", ""), ("{a} for {i} {t}", ""), ("spent {a} on {i} {t}", ""),
        ("{i} - {a}", ""), ("{D}: {i}, {a}", ""), ("{i} cost me {a} {t}", ""), ("{i} was {a} {t}, ugh", ""),
        ("log {i} {a}", ""), ("{a} {i}", ""), ("add expense: {i} {a} ({t})", ""), ("{D} paid {a} for {i}", ""),
        ("{i} {t} {a}", ""), ("{i}... {a}. {D}", ""), ("{D} - {a} on {i}, oh well", ""),
        ("{m} {a}", "monly"), ("{m} {i} {a} {t}", ""), ("{i} ({m}) {a}", ""), ("{a} {m} {t}", "monly"),
        ("{D} I spent {a} at {m}", "place monly"), ("ugh {m} again, {a}", "monly"),
        ("{m} charged me {a} {t}", "pay monly"), ("{i} at {m}, {a} {t}", "place"), ("{m}: {i} {a}", ""),
        ("had {i} at {m} {t}, {a}", "eat place"), ("{D} had {i} for {a}", "eat"),
        ("grabbed {i} {t} - {a}", "drink"), ("{D} {i} @ {m} {a}", "drink place"),
        ("bought {i} {t} for {a}", "buy"), ("picked up {i} at {m} for {a}", "buy place"),
        ("paid {i} {a} {t}", "pay"), ("{i} paid, {a}", "pay"),
        ("took {r} {t}, {a}", "ride"), ("took {r} home, {a}", "ride"), ("{D} took {r} to work - {a}", "ride"),
        ("{D} {i1} {a1} + {i2} {a2} = {a}", "multi"),
        ("{i1} and {i2} at {m}, {a1} and {a2}, so {a} total", "multi place"),
        ("{i1} {a1}, {i2} {a2}, {a} altogether {t}", "multi"),
        ("{i1} ({a1}) and {i2} ({a2}) - total {a}", "multi"),
        ("{q} {ip} at {u} each, {a} total {t}", "qty"), ("{D} {q} {ip}, {u} each", "qty"),
        ("{ip} x{q} = {a}", "qty"), ("{q} {ip} for {a} {t}", "qty"),
    ],
    "tw": [
        ("{i} {a}", ""), ("{d}{i} {a}", ""), ("{d}{i}花了{a}", ""), ("{i}{a}", ""), ("記一下 {d}{i} {a}", ""),
        ("{d}的{i}，{a}", ""), ("{i}：{a}", ""), ("{a} {i}", ""), ("{d}{i}共{a}，好貴", ""), ("{i}花{a}", ""),
        ("{d}{i}付了{a}", ""), ("{i} {a} {d}", ""), ("{d}{i}大概{a}吧", ""),
        ("{m} {a}", "monly"), ("{d}{m}{i} {a}", ""), ("{d}在{m}花了{a}", "place monly"), ("{m} {i}，{a}", ""),
        ("{d}去{m}刷了{a}", "place monly"), ("{i}({m}) {a}", ""), ("{d}{m}扣款{a}", "pay monly"),
        ("{d}吃{i}花了{a}", "eat"), ("{d}在{m}吃{i} {a}", "eat place"), ("{d}喝{i} {a}", "drink"),
        ("{d}去{m}喝了杯{i}，{a}", "drink place"),
        ("{d}在{m}買了{i}，{a}", "buy place"), ("{d}買{i}花了{a}", "buy"),
        ("繳{i} {a}", "pay"), ("終於把{d}的{i}繳了，{a}", "pay"),
        ("{d}搭{r}花了{a}", "ride"), ("{d}坐{r}回家 {a}", "ride"),
        ("{i1}{a1}加{i2}{a2}，共{a}", "multi"), ("{d}{i1} {a1}、{i2} {a2}，總共{a}", "multi"),
        ("{d}在{m}買{i1}跟{i2}，{a1}+{a2}={a}", "multi place"), ("{i1}和{i2}一共{a}（{a1}+{a2}）", "multi"),
        ("{q}{c}{ip}，一{c}{u}，共{a}", "qty"), ("{d}買了{q}{c}{ip}，每{c}{u}", "qty"),
        ("{ip}{q}{c} {a}", "qty"), ("{d}{ip} x{q}，總共{a}", "qty"),
    ],
    "cn": [
        ("{i} {a}", ""), ("{d}{i} {a}", ""), ("{d}{i}花了{a}", ""), ("记一笔：{i} {a}", ""), ("{d}{i}{a}", ""),
        ("{i}，{a}，{d}", ""), ("{a} {i}", ""), ("记账 {d}{i} {a}", ""), ("{d}{i}花了{a}，太贵了", ""),
        ("{i}：{a}", ""), ("{d}{i}一共{a}", ""), ("{i}{a}", ""), ("{d}{i}又花了{a}", ""),
        ("{m} {a}", "monly"), ("{d}{m}{i} {a}", ""), ("{d}在{m}消费{a}", "place monly"), ("{m}{i}，{a}", ""),
        ("{d}{m}扣了{a}", "pay monly"), ("{i}（{m}）{a}", ""), ("{d}{m}花了{a}", "monly"),
        ("{d}吃{i}花了{a}", "eat"), ("{d}在{m}吃了{i}，{a}", "eat place"), ("{d}喝了杯{i}，{a}", "drink"),
        ("{d}在{m}点了杯{i} {a}", "drink place"),
        ("{d}在{m}买了{i}，{a}", "buy place"), ("{d}买{i}花了{a}", "buy"),
        ("交{i} {a}", "pay"), ("{d}付了{i}{a}", "pay"), ("{d}坐{r}花了{a}", "ride"), ("{d}坐{r}回家，{a}", "ride"),
        ("{i1}{a1}，{i2}{a2}，一共{a}", "multi"), ("{d}{i1}{a1}+{i2}{a2}，共{a}", "multi"),
        ("{d}在{m}买了{i1}和{i2}，{a1}加{a2}，总共{a}", "multi place"), ("{i1}和{i2}合计{a}（{a1}+{a2}）", "multi"),
        ("{q}{c}{ip}，每{c}{u}，共{a}", "qty"), ("{d}买了{q}{c}{ip}，一{c}{u}", "qty"),
        ("{ip}{q}{c}，{a}", "qty"), ("{d}{ip}×{q}，合计{a}", "qty"),
    ],
    "ja": [
        ("{i} {a}", ""), ("{d}{i} {a}", ""), ("{dn}{i}で{a}使った", ""), ("{i}に{a}", ""), ("メモ：{i} {a}", ""),
        ("{d}の{i}、{a}", ""), ("{i}：{a}（{d}）", ""), ("{a} {i}", ""), ("{dn}{i}に{a}払った", ""),
        ("{i}、{a}。高かった…", ""), ("記録 {d} {i} {a}", ""), ("{i}{a}", ""), ("{d}は{i}で{a}", ""),
        ("{m} {a}", "monly"), ("{d}{m}で{i} {a}", ""), ("{dn}{m}で{a}使った", "place monly"), ("{m}の{i}、{a}", ""),
        ("{d}、{m}で{a}", "monly"), ("{i}（{m}）{a}", ""), ("{m}から{a}引き落とし", "pay monly"),
        ("{dn}{i}を食べた、{a}", "eat"), ("{dn}{m}で{i}を食べて{a}", "eat place"),
        ("{dn}{i}を飲んだ。{a}", "drink"), ("{d}{m}で{i}、{a}", "drink place"),
        ("{dn}{m}で{i}を{a}で買った", "buy place"), ("{dn}{i}を買った、{a}", "buy"),
        ("{i}を払った {a}", "pay"), ("{dn}{i}の支払い {a}", "pay"),
        ("{dn}{r}に乗って{a}", "ride"), ("{r}で帰った、{a}", "ride"),
        ("{i1} {a1} + {i2} {a2} = {a}", "multi"), ("{d}{i1}{a1}と{i2}{a2}で合計{a}", "multi"),
        ("{dn}{m}で{i1}と{i2}、{a1}+{a2}で{a}", "multi place"), ("{i1}と{i2}、全部で{a}", "multi"),
        ("{ip}を{q}{c}、1{c}{u}で合計{a}", "qty"), ("{dn}{ip}を{q}{c}買った。1{c}{u}", "qty"),
        ("{ip} ×{q} {a}", "qty"), ("{d}{ip}{q}{c}で{a}", "qty"),
    ],
}

CLASSES = {"eat", "drink", "buy", "pay", "ride"}

# ---------------------------------------------------------------------------
# Dates
# ---------------------------------------------------------------------------
EN_MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August",
             "September", "October", "November", "December"]
REL = {
    "en": {0: [("Today", "today"), ("This morning", "this morning"), ("Tonight", "tonight"),
               ("Earlier today", "earlier today"), ("This afternoon", "this afternoon")],
           -1: [("Yesterday", "yesterday"), ("Last night", "last night"), ("Yesterday evening", "yesterday evening"),
                ("Yesterday morning", "yesterday morning")],
           -2: [("The day before yesterday", "the day before yesterday"), ("Day before yesterday", "the day before yesterday")]},
    "tw": {0: ["今天", "今早", "今晚", "今天中午", "今天早上"], -1: ["昨天", "昨晚", "昨天晚上", "昨天中午"],
           -2: ["前天", "前天晚上"]},
    "cn": {0: ["今天", "今早", "今晚", "今天中午"], -1: ["昨天", "昨晚", "昨天下午", "昨天晚上"], -2: ["前天", "前天晚上"]},
    "ja": {0: ["今日", "今朝", "今夜"], -1: ["昨日", "昨夜", "昨晩"], -2: ["一昨日", "おととい"]},
}


def ordinal(n):
    if 11 <= n % 100 <= 13:
        return f"{n}th"
    return str(n) + {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")


def render_date(rng, lang, today, mode):
    """mode: 0/-1/-2 relative, 'x' explicit. Returns (date, forms dict)."""
    if mode != "x":
        date = today + dt.timedelta(days=mode)
        w = rng.choice(REL[lang][mode])
        if lang == "en":
            return date, {"D": w[0], "t": w[1]}
        return date, {"d": w, "dn": w}
    start = dt.date(today.year, 1, 1)
    date = start + dt.timedelta(days=rng.randint(0, (today - start).days))
    m, d = date.month, date.day
    if lang == "en":
        mon, ab = EN_MONTHS[m - 1], EN_MONTHS[m - 1][:3]
        opts = [(f"On {mon} {d}", f"on {mon} {d}"), (f"{mon} {d}", f"on {ab} {d}"), (f"{m}/{d}", f"on {m}/{d}"),
                (f"On {mon} {ordinal(d)}", f"on the {ordinal(d)} of {mon}"), (f"{ab} {d}", f"on {d} {mon}")]
        lead, tail = rng.choice(opts)
        return date, {"D": lead, "t": tail}
    if lang == "tw":
        w = rng.choice([f"{m}月{d}日", f"{m}/{d}", f"{m}月{d}號"])
    elif lang == "cn":
        w = rng.choice([f"{m}月{d}日", f"{m}月{d}号", f"{m}/{d}"])
    else:
        w = rng.choice([f"{m}月{d}日", f"{m}/{d}"])
    return date, {"d": w, "dn": w + "に" if lang == "ja" else w}


def pick_today(rng):
    r = rng.random()
    if r < 0.12:  # New Year boundary
        y = rng.choice([2025, 2026, 2027])
        return dt.date(y, 1, rng.choice([1, 1, 2]))
    if r < 0.17:  # leap-day neighbourhood
        return rng.choice([dt.date(2024, 3, 1), dt.date(2024, 3, 2), dt.date(2024, 2, 29), dt.date(2025, 3, 1)])
    if r < 0.30:  # start of some month
        y = rng.choice([2024, 2025, 2026, 2027])
        return dt.date(y, rng.randint(2, 12), rng.choice([1, 2]))
    start = dt.date(2024, 1, 1)
    return start + dt.timedelta(days=rng.randint(0, (dt.date(2027, 12, 31) - start).days))


# ---------------------------------------------------------------------------
# Currencies and amounts
# ---------------------------------------------------------------------------
PRICE_LEVEL = {"USD": 1, "EUR": 0.9, "GBP": 0.8, "CAD": 1.3, "AUD": 1.4, "SGD": 1.3, "TWD": 18, "CNY": 4.5,
               "HKD": 7, "JPY": 110, "KRW": 1100}
DEFAULTS = {
    "en": [("USD", 40), ("EUR", 14), ("GBP", 14), ("CAD", 6), ("AUD", 6), ("SGD", 5), ("JPY", 5), ("TWD", 5), ("HKD", 5)],
    "tw": [("TWD", 70), ("USD", 8), ("JPY", 10), ("HKD", 4), ("CNY", 4), ("EUR", 4)],
    "cn": [("CNY", 70), ("HKD", 8), ("USD", 8), ("JPY", 7), ("EUR", 7)],
    "ja": [("JPY", 70), ("USD", 9), ("TWD", 9), ("EUR", 6), ("KRW", 6)],
}
# explicit markers per language and currency; {n} is the number
MARKERS = {
    "en": {"USD": ["${n}", "{n} dollars", "{n} USD", "USD {n}", "{n} bucks", "US${n}"],
           "EUR": ["€{n}", "{n} euros", "{n} EUR", "EUR {n}", "{n}€"],
           "GBP": ["£{n}", "{n} pounds", "{n} GBP"],
           "JPY": ["{n} yen", "JPY {n}", "{n} JPY"],
           "TWD": ["NT${n}", "{n} NTD", "{n} TWD", "NT$ {n}"],
           "CNY": ["{n} RMB", "{n} yuan", "CNY {n}", "RMB {n}"],
           "HKD": ["HK${n}", "{n} HKD"],
           "KRW": ["{n} won", "₩{n}", "{n} KRW"],
           "SGD": ["S${n}", "{n} SGD"], "CAD": ["C${n}", "{n} CAD"], "AUD": ["A${n}", "{n} AUD"]},
    "tw": {"TWD": ["NT${n}", "台幣{n}", "{n}台幣", "新台幣{n}元", "{n} TWD"],
           "USD": ["美金{n}", "{n}美金", "{n}美元", "US${n}"],
           "JPY": ["日幣{n}", "{n}日圓", "{n}日幣", "{n}円", "{n}日元"],
           "EUR": ["{n}歐元", "€{n}"], "GBP": ["{n}英鎊", "£{n}"],
           "CNY": ["人民幣{n}", "{n}人民幣", "{n} RMB"],
           "HKD": ["港幣{n}", "{n}港幣", "HK${n}"], "KRW": ["{n}韓元", "韓幣{n}", "₩{n}"]},
    "cn": {"CNY": ["{n}人民币", "人民币{n}", "{n} RMB", "{n}元人民币"],
           "USD": ["{n}美元", "{n}美金", "US${n}", "{n} USD"],
           "JPY": ["{n}日元", "日元{n}", "{n}円"],
           "EUR": ["{n}欧元", "€{n}"], "GBP": ["{n}英镑", "£{n}"],
           "TWD": ["{n}台币", "新台币{n}", "NT${n}"],
           "HKD": ["{n}港币", "港币{n}", "HK${n}", "{n}港元"], "KRW": ["{n}韩元", "₩{n}"]},
    "ja": {"JPY": ["{n}円", "¥{n}", "{n} 円", "￥{n}"],
           "USD": ["{n}ドル", "${n}", "{n}米ドル"], "EUR": ["{n}ユーロ", "€{n}"], "GBP": ["{n}ポンド", "£{n}"],
           "TWD": ["{n}台湾ドル", "NT${n}"], "KRW": ["{n}ウォン", "₩{n}"], "CNY": ["{n}人民元"],
           "HKD": ["{n}香港ドル", "HK${n}"]},
}
# markers that mean "the default currency"
GENERIC = {"en": ["{n}"], "tw": ["{n}", "{n}元", "{n}塊", "{n} 元", "{n}塊錢"],
           "cn": ["{n}", "{n}元", "{n}块", "{n}块钱", "{n} 元"], "ja": ["{n}"]}
# generic markers that carry a kanji number well
KANJI_OK = {"{n}元", "{n}塊", "{n}塊錢", "{n}块", "{n}块钱", "{n}円"}
DOLLAR_LIKE = {"TWD", "HKD", "CAD", "AUD", "SGD"}  # defaults for which bare "$"/"dollars" would be confusing


def make_amount(rng, lo, hi, cur, scale=1.0):
    v = math.exp(rng.uniform(math.log(lo), math.log(hi))) * PRICE_LEVEL[cur] * scale
    if cur not in ("JPY", "KRW") and v >= 400 and rng.random() < 0.75:
        step = 100 if v >= 5000 else (50 if v >= 1000 else 5)
        return max(step, int(round(v / step) * step))
    if cur in ("USD", "EUR", "GBP", "CAD", "AUD", "SGD"):
        if (v < 50 and rng.random() < 0.6) or rng.random() < 0.25:
            cents = rng.choice([0.5, 0.99, 0.25, 0.75, round(rng.random(), 2), round(rng.random(), 2)])
            v = math.floor(v) + cents
            return round(max(v, 0.5), 2)
        return max(1, int(round(v)))
    if cur == "TWD":
        if v < 100:
            return max(5, int(round(v / 5) * 5)) if rng.random() < 0.5 else max(1, int(round(v)))
        return int(round(v / 10) * 10) if rng.random() < 0.7 else int(round(v))
    if cur == "CNY":
        if v < 100 and rng.random() < 0.25:
            return round(math.floor(v) + rng.choice([0.5, 0.8, 0.9, 0.6]), 2)
        return max(1, int(round(v)))
    if cur == "HKD":
        return max(1, int(round(v))) if rng.random() < 0.8 else round(math.floor(v) + 0.5, 2)
    if cur == "JPY":
        if v < 1000:
            return int(round(v / 10) * 10) if rng.random() < 0.7 else max(10, int(round(v)) - (int(round(v)) % 10) + 8)
        if v < 10000:
            return int(round(v / 10) * 10)
        return int(round(v / 1000) * 1000) if rng.random() < 0.6 else int(round(v / 100) * 100)
    if cur == "KRW":
        return int(round(v / 1000) * 1000) if v > 10000 else int(round(v / 100) * 100)
    raise ValueError(cur)


FW = str.maketrans("0123456789", "０１２３４５６７８９")
KD = "〇一二三四五六七八九"


def kanji_number(n, lang):
    """Correct kanji/hanzi numeral for 1 <= n <= 9999."""
    digits = [(n // 1000) % 10, (n // 100) % 10, (n // 10) % 10, n % 10]
    units = ["千", "百", "十", ""]
    out, zero_pending, started = "", False, False
    for i, dgt in enumerate(digits):
        if dgt == 0:
            if started:
                zero_pending = True
            continue
        if zero_pending and lang != "ja":
            out += "零"
        zero_pending = False
        if lang == "ja" and dgt == 1 and units[i]:
            out += units[i]
        elif lang != "ja" and dgt == 1 and units[i] == "十" and not started:
            out += "十"
        elif lang != "ja" and dgt == 2 and units[i] in ("百", "千") and not started:
            out += ("兩" if lang == "tw" else "两") + units[i]
        else:
            out += KD[dgt] + units[i]
        started = True
    return out


def fmt_number(rng, value, lang, allow_fancy=True):
    """Render a number; returns (text, used_kanji_or_wan)."""
    if isinstance(value, float):
        s = f"{value:.2f}"
        if lang in ("tw", "cn") and s.endswith("0") and rng.random() < 0.6:
            s = s[:-1]
        if value >= 1000 and rng.random() < 0.5:
            whole, frac = s.split(".")
            s = f"{int(whole):,}.{frac}"
        return s, False
    if allow_fancy and lang != "en" and value >= 10000 and value % 1000 == 0 and rng.random() < 0.35:
        wan = "萬" if lang == "tw" else "万"
        if value % 10000 == 0:
            return f"{value // 10000}{wan}", True
        if lang == "ja" and rng.random() < 0.5 and value < 100000:
            return f"{value // 10000}万{(value % 10000) // 1000}千", True
        return f"{value / 10000:g}{wan}", True
    p_sep = {"en": 0.6, "ja": 0.6, "tw": 0.35, "cn": 0.3}[lang]
    s = f"{value:,}" if value >= 1000 and rng.random() < p_sep else str(value)
    return s, False


def render_amount(rng, lang, value, cur, default, tpl_marker=None):
    """Render value in currency cur for a user whose default is `default`.
    Returns the amount string. tpl_marker forces a marker pattern."""
    if tpl_marker is None:
        if cur == default:
            opts = list(GENERIC[lang])
            if lang == "tw" and default not in ("TWD",):
                opts = ["{n}", "{n}元", "{n}塊"]
            if cur in MARKERS[lang]:
                opts += MARKERS[lang][cur]
            if lang == "ja" and default in ("TWD", "CNY", "HKD"):
                opts.append("{n}元")
            pat = rng.choice(opts)
        else:
            pat = rng.choice(MARKERS[lang][cur])
    else:
        pat = tpl_marker
    if pat == "{n} bucks" and isinstance(value, float):
        pat = "${n}"
    fancy_ok = pat in ("{n}円", "{n}元", "{n}塊", "{n}块", "{n}塊錢", "{n}块钱", "{n} 円", "{n} 元", "{n}",
                       "台幣{n}", "日幣{n}", "{n}日圓", "{n}日元", "{n}韓元")
    num, fancy = fmt_number(rng, value, lang, allow_fancy=fancy_ok and pat != "{n}")
    if (not fancy and lang != "en" and isinstance(value, int) and 10 <= value <= 9999 and pat in KANJI_OK
            and sum(ch != "0" for ch in str(value)) <= 2 and rng.random() < 0.25):
        num = kanji_number(value, lang)
    elif not fancy and lang != "en" and rng.random() < 0.06:
        num = num.translate(FW)
    return pat.replace("{n}", num), pat


def plain_number(rng, value, lang):
    return fmt_number(rng, value, lang, allow_fancy=False)[0]


def jnum(v):
    if isinstance(v, float):
        v = round(v, 2)
        if v == int(v):
            return int(v)
    return v


# ---------------------------------------------------------------------------
# Chit-chat and noise
# ---------------------------------------------------------------------------
PREFIX = {"en": ["ugh, ", "ok so ", "note to self: ", "lol ", "welp, ", "quick one: "],
          "tw": ["欸 ", "唉，", "記帳：", "嗯 ", "補記 "],
          "cn": ["唉，", "记账：", "对了 ", "补记一笔 ", "哎 "],
          "ja": ["メモ：", "記録、", "うーん、", "忘れないうちに："]}
SUFFIX = {"en": [" lol", " 🙃", " - worth it", ", oops", " (treat yourself)", ", sigh"],
          "tw": ["，好貴", "，還行", " 😂", "，心痛", "～", "，值得"],
          "cn": ["，心疼", "，还行吧", " 😭", "，值了", "，有点贵"],
          "ja": ["。高い…", "、まあいいか", " 😅", "。痛い出費", "！"]}


def typo(rng, text):
    words = text.split(" ")
    idx = [i for i, w in enumerate(words) if len(w) >= 5 and w.isalpha()]
    if not idx:
        return text
    i = rng.choice(idx)
    w = words[i]
    k = rng.randint(1, len(w) - 3)
    if rng.random() < 0.5:
        w = w[:k] + w[k + 1] + w[k] + w[k + 2:]
    else:
        w = w[:k] + w[k + 1:]
    words[i] = w
    return " ".join(words)


QWORDS = {"en": {2: ["2", "two"], 3: ["3", "three"], 4: ["4", "four"]},
          "tw": {2: ["2", "兩"], 3: ["3", "三"], 4: ["4", "四"]},
          "cn": {2: ["2", "两"], 3: ["3", "三"], 4: ["4", "四"]},
          "ja": {2: ["2"], 3: ["3"], 4: ["4"]}}


# ---------------------------------------------------------------------------
# Template/scene compatibility and splitting
# ---------------------------------------------------------------------------
def tags(tpl):
    return set(tpl[1].split())


def compatible(tpl, scene, lang):
    text, tg = tpl[0], tags(tpl)
    items, merchants = scene[lang]
    has_m = "{m}" in text
    has_i = "{i}" in text or "{i1}" in text
    if has_m and not merchants:
        return False
    if "place" in tg and not scene["place"]:
        return False
    if "monly" in tg and not scene["monly"]:
        return False
    if has_i and scene["needm"] and not has_m:
        return False
    for c in CLASSES:
        if c in tg and scene["cls"] != c:
            return False
    if "ride" in tg and lang not in scene["rn"]:
        return False
    if "qty" in tg and lang not in scene["qty"]:
        return False
    if "multi" in tg and len(items) < 2:
        return False
    return True


def kind_of(tpl):
    tg = tags(tpl)
    if "multi" in tg:
        return "multi"
    if "qty" in tg:
        return "qty"
    if tg & CLASSES:
        return "cls"
    if "{m}" in tpl[0]:
        return "merchant"
    return "generic"


def split_templates(rng):
    """Assign every template to train/dev/test, ~60/20/20 within each kind."""
    out = {}
    for lang in LANGS:
        by_kind = {}
        for tpl in T[lang]:
            by_kind.setdefault(kind_of(tpl), []).append(tpl)
        assign = {"train": [], "dev": [], "test": []}
        for kind, lst in sorted(by_kind.items()):
            lst = lst[:]
            rng.shuffle(lst)
            n = len(lst)
            n_dev = max(1, round(n * 0.2))
            n_test = max(1, round(n * 0.2))
            assign["dev"] += lst[:n_dev]
            assign["test"] += lst[n_dev:n_dev + n_test]
            assign["train"] += lst[n_dev + n_test:]
        out[lang] = assign
    return out


def merchant_pools(scene, lang):
    ms = scene[lang][1]
    if len(ms) < 3:
        return ms, ms
    train = [m for k, m in enumerate(ms) if k % 3 != 2]
    held = [m for k, m in enumerate(ms) if k % 3 == 2]
    return train, held


# ---------------------------------------------------------------------------
# Example generation
# ---------------------------------------------------------------------------
def weighted(rng, pairs):
    total = sum(w for _, w in pairs)
    r = rng.uniform(0, total)
    for v, w in pairs:
        r -= w
        if r <= 0:
            return v
    return pairs[-1][0]


def gen_example(rng, lang, split, tpls):
    cands = []
    while not cands:
        cat = rng.choice(sorted({s["cat"] for s in SCENES}))
        scene = rng.choice([s for s in SCENES if s["cat"] == cat])
        cands = [t for t in tpls if compatible(t, scene, lang)]
    with_m = [t for t in cands if "{m}" in t[0]]
    if with_m and rng.random() < 0.45:  # mention a merchant in about half of the rows that can have one
        cands = with_m
    tpl = rng.choice(cands)
    text = tpl[0]
    tg = tags(tpl)
    today = pick_today(rng)
    default = weighted(rng, DEFAULTS[lang])
    cur = default
    if rng.random() < 0.2:
        others = [c for c in MARKERS[lang] if c != default]
        if lang == "en" and default in DOLLAR_LIKE:
            others = [c for c in others if c != "USD"]
        cur = rng.choice(others)
    if lang == "en" and cur == "USD" and default in DOLLAR_LIKE:
        cur = default

    # date
    date = today
    fill = {}
    if any(s in text for s in ("{D}", "{t}", "{d}", "{dn}")):
        mode = weighted(rng, [(0, 20), (-1, 35), (-2, 15), ("x", 30)])
        date, forms = render_date(rng, lang, today, mode)
        fill.update(forms)

    items, _ = scene[lang]
    lo, hi = scene["usd"]
    # merchant
    merchant = None
    if "{m}" in text:
        tr, held = merchant_pools(scene, lang)
        pool = tr if split == "train" else (held if rng.random() < 0.7 else tr)
        merchant = rng.choice(pool)
        if lang == "en" and rng.random() < 0.12:
            merchant = merchant.lower()
        fill["m"] = merchant
    if "{i}" in text:
        fill["i"] = rng.choice(items)
    if "{r}" in text:
        fill["r"] = rng.choice(scene["rn"][lang])

    if "multi" in tg:
        i1, i2 = rng.sample(items, 2)
        total = make_amount(rng, lo, hi, cur, 1.4)
        # split total into two parts of the same precision
        if isinstance(total, int):
            step = 10 if total >= 200 and cur in ("TWD", "JPY", "KRW") else 1
            if total < 2 * step:
                total = 2 * step + total
            a1 = max(step, int(round(total * rng.uniform(0.3, 0.7) / step) * step))
            if a1 >= total:
                a1 = total - step
            a2 = total - a1
        else:
            cents = int(round(total * 100))
            c1 = max(1, int(cents * rng.uniform(0.3, 0.7)))
            a1, a2 = jnum(c1 / 100), jnum((cents - c1) / 100)
            total = jnum(cents / 100)
        amount = total
        fill.update({"i1": i1, "i2": i2, "a1": plain_number(rng, a1, lang), "a2": plain_number(rng, a2, lang)})
        fill["a"], _ = render_amount(rng, lang, total, cur, default)
    elif "qty" in tg:
        ip, counter = scene["qty"][lang]
        q = rng.choice([2, 2, 3, 4])
        unit = make_amount(rng, lo, hi, cur)
        if isinstance(unit, float):
            amount = jnum(round(unit * 100) * q / 100)
        else:
            amount = unit * q
        digits_only = "x{q}" in text or "×{q}" in text
        fill.update({"ip": ip, "c": counter or "", "q": str(q) if digits_only else rng.choice(QWORDS[lang][q])})
        astr, pat = render_amount(rng, lang, amount, cur, default)
        fill["a"] = astr
        # unit price uses the same marker style
        fill["u"], _ = render_amount(rng, lang, unit, cur, default, tpl_marker=pat)
    else:
        amount = make_amount(rng, lo, hi, cur)
        fill["a"], _ = render_amount(rng, lang, amount, cur, default)

    out = text
    for k in sorted(fill, key=len, reverse=True):
        out = out.replace("{" + k + "}", fill[k])
    assert "{" not in out, out
    out = " ".join(out.split())  # collapse double spaces from empty slots

    # noise
    if lang == "en":
        if rng.random() < 0.07:
            tmp = out
            if merchant:
                tmp = tmp.replace(merchant, "\x00")
            tmp = typo(rng, tmp)
            out = tmp.replace("\x00", merchant) if merchant else tmp
        r = rng.random()
        if r < 0.25:
            out = out.lower()
        elif r < 0.75:
            out = out[0].upper() + out[1:]
    if rng.random() < 0.12 and not out.startswith(("記", "记", "メモ", "log", "add")):
        out = rng.choice(PREFIX[lang]) + out
    if rng.random() < 0.12 and not out.endswith(("ugh", "好貴", "太贵了", "…")):
        out = out + rng.choice(SUFFIX[lang])

    if merchant is not None:
        pos = out.lower().find(merchant.lower())
        assert pos >= 0, (out, merchant)
        merchant = out[pos:pos + len(merchant)]

    return {
        "input": {"text": out, "today": today.isoformat(), "default_currency": default},
        "expected": {"date": date.isoformat(), "amount": jnum(amount), "currency": cur,
                     "category": scene["cat"], "merchant": merchant},
    }, tpl


def main():
    rng = random.Random(SEED)
    splits = split_templates(rng)
    seen = set()
    data = {"train": [], "dev": [], "test": []}
    for split in ("train", "dev", "test"):
        for lang in LANGS:
            tpls = splits[lang][split]
            made, tries = 0, 0
            while made < PER_LANG[split]:
                tries += 1
                assert tries < 100000
                ex, _ = gen_example(rng, lang, split, tpls)
                key = ex["input"]["text"].strip().lower()
                if key in seen:
                    continue
                seen.add(key)
                data[split].append(ex)
                made += 1
        rng.shuffle(data[split])
    hard_path = os.path.join(HERE, "hard.jsonl")
    hard = []
    if os.path.exists(hard_path):
        with open(hard_path, encoding="utf-8") as f:
            hard = [json.loads(line) for line in f if line.strip()]
    data["test"].extend(hard)
    for split, rows in data.items():
        with open(os.path.join(HERE, f"{split}.jsonl"), "w", encoding="utf-8") as f:
            for row in rows:
                f.write(json.dumps(row, ensure_ascii=False) + "\n")
    for split, rows in data.items():
        print(f"{split}: {len(rows)}")
    # template split summary
    for lang in LANGS:
        print(lang, {s: len(v) for s, v in splits[lang].items()})


if __name__ == "__main__":
    main()
