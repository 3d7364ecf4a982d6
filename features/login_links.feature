Feature: Login links
  Anyone can ask the sign-in page for a login link. Only a customer with portal access gets one,
  and the answer never tells which addresses are known.

  @LL-1 @must
  Scenario: A customer asks for a login link from the sign-in page
    Given Ada was invited
    When she asks for a login link on her phone
    Then she receives a login link

  @LL-3 @must
  Scenario: The login-link email carries a login link and the management URL
    Given Ada was invited
    When she asks for a login link on her phone
    Then her login link email holds a login link
    And her login link email holds her management URL

  @LL-2 @should
  Scenario: The answer does not tell known, revoked and unknown addresses apart
    Given Ada was invited
    And Ben's portal access was revoked
    When someone asks for login links for Ada, Ben and an unknown address
    Then all three answers read the same
    And only Ada receives a login link

  @LL-4 @must
  Scenario: Opening a login link signs the customer in and verifies her email
    Given Ada was invited
    And she asked for a login link on her laptop
    When she opens her login link on her laptop
    Then her laptop shows her account
    And her email address is verified

  @LL-5 @must @clock
  Scenario Outline: A login link expires after its time to live
    Given login links expire after 60 minutes
    And Ada was invited
    And she asked for a login link on her laptop <minutes> minutes ago
    When she opens her login link on her laptop
    Then her laptop <outcome>

    Examples:
      | minutes | outcome                      |
      | 59      | shows her account            |
      | 60      | is offered a new login link  |

  @LL-6 @should
  Scenario: A login link works once
    Given Ada was invited
    And she opened a login link on her laptop
    When she opens the same login link on her phone
    Then her phone is offered a new login link

  @LL-7 @ref
  Scenario: A newer login link makes the older one invalid
    Given Ada was invited
    And she asked for a login link on her laptop
    And she asked for another login link on her laptop
    When she opens her first login link on her laptop
    Then her laptop is offered a new login link

  @LL-8 @should
  Scenario: Login-link requests are throttled per address
    Given Ada was invited
    And she asked for 5 login links within the hour
    When she asks for a login link on her laptop
    Then her laptop gets the usual answer
    And she receives no new login link

  @LL-8 @should @clock
  Scenario: Login links can be requested again after an hour
    Given Ada was invited
    And she asked for 5 login links within the hour
    And 60 minutes passed
    When she asks for a login link on her laptop
    Then she receives a new login link
