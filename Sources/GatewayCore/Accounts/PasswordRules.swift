/// What a new password must be: 12 to 128 characters and not one of the passwords attackers try first.
public enum PasswordRules {
    public static let minimumLength = 12
    public static let maximumLength = 128

    /// Nil when acceptable, otherwise the message to show next to the field.
    public static func problem(with password: String) -> String? {
        if password.count < minimumLength { return "Use at least \(minimumLength) characters." }
        if password.count > maximumLength { return "Use at most \(maximumLength) characters." }
        if commonPasswords.contains(password.lowercased()) { return "This password is too common. Choose one that is harder to guess." }
        if Set(password).count < 4 { return "This password repeats too few characters. Choose one that is harder to guess." }
        return nil
    }

    /// Frequent passwords of 12 characters or more from public breach lists.
    static let commonPasswords: Set<String> = [
        "123456789012", "1234567890123", "12345678901234", "123456789123", "111111111111", "000000000000",
        "123123123123", "qwertyuiop12", "qwertyuiop123", "qwertyuiopasdf", "1qaz2wsx3edc", "1q2w3e4r5t6y",
        "qazwsxedcrfv", "password1234", "password12345", "password123456", "passwordpassword", "password!123",
        "p@ssw0rd1234", "iloveyou1234", "letmein12345", "welcome12345", "welcome123456", "administrator",
        "administrator1", "admin1234567", "adminadmin123", "changeme1234", "abcdefghijkl", "abcdefghijklm",
        "abc123abc123", "a1b2c3d4e5f6", "football1234", "baseball1234", "superman1234", "sunshine1234",
        "princess1234", "trustno11234", "monkey123456", "dragon123456", "master123456", "shadow123456",
        "whatever1234", "starwars1234", "qwerty123456", "qwertyqwerty", "asdfghjkl123", "zxcvbnm12345",
        "mypassword12", "mypassword123", "secret123456", "summer2024!!", "winter2024!!", "omraaigateway",
        "correcthorsebatterystaple", "thequickbrownfox", "iloveyouforever", "passw0rdpassw0rd",
    ]
}
