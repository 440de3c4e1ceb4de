"""Money helpers: integer minor units, tax included; tax rates with two implied decimals."""

# ISO 4217 active codes (alphabetic). Used to tell an unknown code (malformed request) from a
# real currency the shop has no prices in (currency_not_supported).
ISO_4217_CODES = frozenset(
    """
    AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BRL BSD BTN BWP
    BYN BZD CAD CDF CHF CLP CNY COP CRC CUP CVE CZK DJF DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP
    GEL GHS GIP GMD GNF GTQ GYD HKD HNL HTG HUF IDR ILS INR IQD IRR ISK JMD JOD JPY KES KGS KHR
    KMF KPW KRW KWD KYD KZT LAK LBP LKR LRD LSL LYD MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK
    MXN MYR MZN NAD NGN NIO NOK NPR NZD OMR PAB PEN PGK PHP PKR PLN PYG QAR RON RSD RUB RWF SAR
    SBD SCR SDG SEK SGD SHP SLE SOS SRD SSP STN SVC SYP SZL THB TJS TMT TND TOP TRY TTD TWD TZS
    UAH UGX USD UYU UZS VES VND VUV WST XAF XCD XCG XOF XPF YER ZAR ZMW ZWG
    """.split()
)


def is_currency(code: str) -> bool:
    return code in ISO_4217_CODES


def tax_amount(*, price: int, tax_rate: int) -> int:
    """Tax included in ``price`` (minor units) at ``tax_rate`` (2500 = 25 %)."""
    if price == 0 or tax_rate == 0:
        return 0
    return price - round(price * 10000 / (10000 + tax_rate))
