Feature: Email verification
  With verification required, only an opened invitation or login link verifies the customer's email,
  and only the device that opened it. Without it, the invitation need not be accepted.

  @EV-1 @must
  Scenario: A customer who has not verified her email gets no access through the management URL
    Given Ada was invited
    When she opens her management URL on her laptop
    Then her laptop does not show her account
    And her laptop is asked to verify this device

  @EV-1 @must @clock
  Scenario: Opening a login link verifies the email and opens the door to the management URL
    Given Ada was invited
    And she opened a login link on her laptop
    And her session on her laptop ended after 31 minutes of inactivity
    When she opens her management URL on her laptop
    Then her laptop shows her account

  @EV-2 @must
  Scenario: A login link verifies only the device that opens it
    Given Ada was invited
    And she opened a login link on her laptop
    When she opens her management URL on her phone
    Then her phone is asked to verify this device

  @EV-2 @must
  Scenario: A login link opened on one device leaves a device waiting to be verified unverified
    Given Ada accepted her invitation on her laptop
    And she opened her management URL on her phone
    When she opens a new login link on her laptop
    Then her management URL asks her phone to verify this device

  @EV-3 @must
  Scenario Outline: Without email verification either link in the invitation gives access at once
    Given email verification is not required
    And Ada was invited
    When she opens <link> on her phone
    Then her phone shows her account

    Examples:
      | link                                |
      | her management URL                  |
      | the invitation link of her invitation |
