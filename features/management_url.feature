Feature: The management URL
  Every portal email carries the customer's management URL. It opens the portal on a device the
  customer has verified; with email verification off, it opens the portal anywhere.

  @MU-1 @must
  Scenario: An account email carries the management URL
    Given Ada accepted her invitation on her laptop
    When the merchant sends Ada an account email
    Then her account email holds her management URL

  @MU-1 @must @clock
  Scenario: After a renewal an account email carries the new management URL
    Given management URLs are renewed every 15 days
    And Ada accepted her invitation on her laptop 16 days ago
    When the merchant sends Ada an account email
    Then her account email holds her management URL

  @MU-2 @must @clock
  Scenario: The management URL starts a new session on a verified device
    Given Ada accepted her invitation on her laptop
    And her session on her laptop ended after 31 minutes of inactivity
    When she opens her management URL on her laptop
    Then her laptop shows her account

  @MU-3 @must
  Scenario: A device that is not verified is asked to verify it
    Given Ada accepted her invitation on her laptop
    When she opens her management URL on her phone
    Then her phone is asked to verify this device
    And her phone does not show her account

  @MU-3 @must
  Scenario: The verify page emails a login link to the customer's address
    Given Ada accepted her invitation on her laptop
    And she opened her management URL on her phone
    When she asks for a login link from the verify page on her phone
    Then she receives a new login link

  @MU-4 @must
  Scenario Outline: Without email verification the management URL opens the portal on any device
    Given email verification is not required
    And Ada was invited
    When she opens her management URL on her <device>
    Then her <device> shows her account

    Examples:
      | device |
      | laptop |
      | phone  |

  @MU-5 @must @clock
  Scenario Outline: A management URL expires after its time to live
    Given management URLs expire after 65 days
    And Ada accepted her invitation on her laptop <days> days ago
    When she opens the management URL from her invitation on her laptop
    Then her laptop <outcome>

    Examples:
      | days | outcome                      |
      | 64   | shows her account            |
      | 65   | is offered a new login link  |

  @MU-6 @must @clock
  Scenario Outline: The same management URL is handed out until it is renewed
    Given management URLs are renewed every 15 days
    And Ada accepted her invitation on her laptop
    And she kept her management URL
    When <days> days pass
    Then the merchant is handed <which> management URL

    Examples:
      | days | which    |
      | 14   | the same |
      | 15   | a new    |

  @MU-6 @must @clock
  Scenario: A renewed management URL leaves the old one working
    Given management URLs are renewed every 15 days
    And Ada accepted her invitation on her laptop 16 days ago
    And the merchant was handed a new management URL
    When she opens the management URL from her invitation on her laptop
    Then her laptop shows her account

  @MU-7 @must @clock
  Scenario Outline: Reading the management URL is limited until a new one is available
    Given management URLs are renewed every 15 days
    And Ada was invited
    And the merchant read her management URL 15 times
    When the merchant reads her management URL again <days> days later
    Then the merchant is <outcome>

    Examples:
      | days | outcome                            |
      | 14   | told it was read too often         |
      | 15   | answered with a new management URL |

  @MU-8 @should
  Scenario: A tampered management URL grants nothing
    Given Ada accepted her invitation on her laptop
    When she opens a tampered copy of her management URL on her laptop
    Then her laptop is told the link is not valid

  @MU-8 @should
  Scenario: A management URL with its link number changed grants nothing
    Given Ada accepted her invitation on her laptop
    When she opens her management URL with its path segment 3 changed on her laptop
    Then her laptop does not show her account

  @MU-6 @must
  Scenario: Reading the management URL again hands out the same one
    Given Ada was invited
    And the merchant read her management URL 2 times
    When the merchant reads her management URL again
    Then the merchant is answered with the same management URL

  @MU-8 @should
  Scenario: Another customer's management URL grants nothing on a customer's device
    Given Ada accepted her invitation on her laptop
    And Ben accepted his invitation on his laptop
    When Ada opens Ben's management URL on her laptop
    Then her laptop does not show Ben's account

  @MU-8 @should
  Scenario: A management URL altered to name another customer grants nothing
    Given email verification is not required
    And Ada was invited
    And Ben was invited
    When Ada opens her management URL altered to name Ben on her laptop
    Then her laptop does not show Ben's account
