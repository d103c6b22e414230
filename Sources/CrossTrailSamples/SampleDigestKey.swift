/// The RSA key the sample generator signs its CloudTrail digest files with, so the bundled
/// Samples carry a digest chain `crosstrail verify-digests` can check
/// (Samples/keys/cloudtrail-public-keys.json holds its public half).
///
/// This key is sample data, published on purpose: it protects nothing. Real CloudTrail digests
/// are signed by AWS and checked with the keys `aws cloudtrail list-public-keys` returns.
enum SampleDigestKey {
    static let pem = """
        -----BEGIN RSA PRIVATE KEY-----
        MIIEogIBAAKCAQEAwYVnE3KG3XRMhTpL+wd8MxA+f004LDMJU19TDBoTGfwEhd3K
        JVRdt8Mj/xtSmNCf4O1WSFp7pe4koZRhYQnU6a22fc+nCOXMhzsarKGodFpLjX6y
        3+bxcfyl/35lzjoE2Gd+i/FfM+M9rCGVez8GSYns9lBtQvKtYt6dfYAfTaRurZ20
        yoBc31uCkZhTSF1fLMboF4BZ42A7oN893vF8pZ3+JMBMXxiN0S0vouMLF6twXI1x
        8BR32EWpCMSYsJpLmRAFG/2O0gMymHz6KkK++Kv/rXY8nHjPIoxEqqwrtMccO1UY
        KXs0h0Z+9YKGDvFWe9ceXxEAaSM6e7BvQt3x/QIDAQABAoIBAA5rBMC5a+xkbY4Q
        h5gqmNmKGInuBCUg4U09oSeZ6rnpIaIiodyxojDegFhRnhAGHR9KN385BJTafw6t
        yiqLa7pER8AsYC7Exj3+DJD3k2Al2RKv8Z5Ga885CloUffvFLVa9MTu2bkgkolPo
        haVSzwJcHRRF7joKcBoZaWTwDoT/favKyj5870cs/36wIgQ1zgGPBdWEZpOTMqce
        PzATkDd5HZNbRy4MZ3hm2rLFl568jrBBhnObNHwg79XqGC4kmkOwyF9m75nMZwmv
        DaZxVkd/OxBf/tKg4DjkLyiqelrngI+vaUc2BGBt3QPL7msSel/yezo9u2bsFTi0
        CJKruXECgYEA9nNxAONybzBSN3xqzn/gmKduaiJCqgKKi5KsecJ5+n1/w7JEBCnC
        AfroZPmoZ2GZBnkVuD789EqFF2U6NFqgQ6PKENxzd3ZzQ/3qcHgWzYwqIgpYRZGt
        55DX5iDkef/AyKUJtvTze5N6nE9hxmAvPzOC2AgrKwQnMnd8a+Vupk0CgYEAyQTy
        mIvHR2XbQ64vv9O0HdYSiysIzpcQr2WJt6fFmZCG7WqrBWIK+zUVYIYqK1Dfrc6/
        MF9BHKS1E1ttcibT6BeB2fiqMOedQfmpXdNpoLemu80wR1uMvoC8RTj9/zQ9PC48
        i0la+4BSL7Y9XS47lf7RSJ8fGvJ6tNyDiL95snECgYAM/CYfEtzLqPMcA00pVimC
        QYgaxXVXucyM8AxwWePNY+FgcTsOMRkMu6iU8WaDE+xZH/YaAA+Z23dJtUaszX2W
        MsIJw2O+DpqiIXXBuUISUGlD4+GkwLk18za85EzFdMk2iSOK5TsS7sFODQysxBKZ
        NOCW+08y9AQQr6T5llwPHQKBgF5KcNT3M+mcsIYFraYoUqNwJ9CZxg7Js2zijv/T
        tY97yJ6S21eyDn6Y/scBB8S7scAga3PwKmWaKMnEqAjUh6+lXyZ0SriX3B73UeeN
        5E0b+By9ebjvC4zMbAN4YUQVJ+gTtBiNtxyjq2lv7UbJCfAoz9hlszx7ou01Romd
        byMxAoGAOWQxaYABPNeK4PYrY5khhrrhSwRs835K1kzOcTTmd3Hz2PN4Jov/ViEK
        nyVh5FS4DotLMu10PzLsO4T/Hd6IOm6cY7QdhlqfZKh7VgMCdKIOfAIVl+C9ofhJ
        XtQAumo3CpqX4gzzyzVjVz2YahVF53qcG5kNwtxjvw18gMzU0s0=
        -----END RSA PRIVATE KEY-----
        """
}
