"""The tricky ways phone and ID numbers are written, shared by the masker's and the gate's tests.

POSITIVES: (text, the numbers in it as the detector reports them). The masker must mask every
number, the gate's detector must find every one in the text, and nothing once it is masked.
NEVER_PERSONAL: the warehouse's own values and ordinary figures: both leave them alone.
INVALID_NUMBERS: look like ID numbers but fail the checksum or the birth date: the detector
does not report them; the masker still masks them when they are one run of digits (it always
has: an ID number with a typo is still somebody's), and leaves them when grouped.
"""

from __future__ import annotations

MOBILE = "13812345678"
ID_X = "32068119870522877X"  # checksum-valid, last character X
ID = "320681199001011235"  # checksum-valid
ID_OLD = "320681900101123"  # 15 digits, born 1990-01-01
LANDLINE = "051383123456"
US_PHONE = "4155550134"  # area code 415, exchange 555

POSITIVES: list[tuple[str, list[str]]] = [
    ("13812345678", [MOBILE]),
    ("联系电话13812345678，请回电", [MOBILE]),
    ("来电人手机13812345678联系不上", [MOBILE]),  # a mobile directly followed by Chinese
    ("电话：１３８１２３４５６７８", [MOBILE]),  # full-width
    ("１３８ １２３４ ５６７８", [MOBILE]),  # full-width with an ideographic space
    ("+86 138 1234 5678", [MOBILE]),
    ("＋８６　１３８－１２３４－５６７８", [MOBILE]),
    ("(+86)13812345678", [MOBILE]),
    ("（+86）138 1234 5678", [MOBILE]),
    ("0086 138-1234-5678", [MOBILE]),
    ("8613812345678", [MOBILE]),
    ("138.1234.5678", [MOBILE]),
    ("138-1234-5678", [MOBILE]),
    ("138/1234/5678", [MOBILE]),
    ("138 1234 5678", [MOBILE]),
    ("138·1234·5678", [MOBILE]),
    ("138－1234－5678", [MOBILE]),
    ("138 - 1234 - 5678", [MOBILE]),
    ("138_1234_5678", [MOBILE]),
    ("手机号码：138．1234．5678。", [MOBILE]),
    ("两个号码13812345678、13987654321都打不通", [MOBILE, "13987654321"]),
    ("号码13812345678.13987654321", [MOBILE, "13987654321"]),
    ("联系电话13812345678。", [MOBILE]),
    ("①13812345678 ②13987654321", [MOBILE, "13987654321"]),  # list marks are not digits
    ("面积120m²，电话13812345678", [MOBILE]),
    ("来电人身份证号32068119870522877X，要求补办", [ID_X]),
    ("身份证号32068119870522877x", [ID_X]),  # lower-case x
    ("身份证 320681 1987 0522 877X 已挂失", [ID_X]),
    ("证件号320681-19870522-877X", [ID_X]),
    ("身份证号３２０６８１１９９００１０１１２３５，", [ID]),
    ("本人身份证号320681199001011235，社保卡无法使用", [ID]),
    ("老身份证320681900101123，", [ID_OLD]),
    ("座机0513-8312 3456", [LANDLINE]),
    ("座机0513-83123456或051383123456", [LANDLINE, LANDLINE]),
    ("请拨打(0513)8312-3456", [LANDLINE]),
    ("电话13812345678，身份证320681199001011235", [MOBILE, ID]),
    # North American numbers, as 311 exports' notes hold them
    ("Spoke with reporter, call back at (415) 555-0134 after 5pm", [US_PHONE]),
    ("callback 415.555.0134", [US_PHONE]),
    ("call 1-415-555-0134 or +1 (415) 555-0134", ["1" + US_PHONE, "1" + US_PHONE]),  # 1415… reads as a mobile too
    ("tel 415 5550134", [US_PHONE]),
]

NEVER_PERSONAL: list[str] = [
    "230103000000001-01",  # a work-order id: 15 digits then -NN
    "工单230103000000001-01已办结，编号RX2301030000001",
    "320681900101123-01",  # a work-order id whose 15 digits would make a valid old ID
    "220823000020010-01, 220823000020003-01",
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",  # SHA-256
    "1381234567890123456789012345678901234567890123456789abcdef012345",  # a digest starting with digits
    "2023-01-05 10:02:00",
    "2023-01-05 10:02:00 至 2023-01-06 18:30:00",
    "2023/01/05 13:45",
    "金额12345678.90元",
    "13812345678.90",  # an amount, not a phone
    "0.13812345678",  # a fraction
    "占比0.1381234567",
    "1.3812345678",
    "RX13812345678",  # touches letters: a platform id
    "138123456789",  # twelve digits: no mobile
    "12345",
    "道路设施(7)、大坑(4)、建议(4)",
    "面积120m²，共3层",
    "2023年1月5日10时2分",
    "Case 101005861 closed; lat 37.7749295, long -122.4194155",  # a 311 case id and coordinates
    "Request 1234567890",  # ten digits, but area code 123 is no North American one
    "415-55-50134",  # grouped as no phone number is
    "订单号2305120001已处理",  # ten digits in one run: an order number, not a North American phone
    "2023010512时来电",  # a date and an hour
    "工单3305123456",
]

INVALID_NUMBERS: list[str] = [
    "320681199001011234",  # 18 digits, checksum fails
    "32068119900101123X",  # checksum fails (X)
    "320681 1990 0101 1234",  # grouped, checksum fails
    "320681991332123",  # 15 digits, month 13
    "320681 991332 123",  # grouped, impossible date
    "990681199001011235",  # province 99
]
