Feature: Invitations
  A merchant invites a customer to the billing portal, by hand or when a subscription starts.
  The invitation email lets the customer in without a password, on the device that opens it.

  @INV-1 @must
  Scenario: A merchant invites a customer by hand
    Given Ada is a customer
    When the merchant invites Ada
    Then she receives an invitation

  @INV-2 @must
  Scenario Outline: A new subscription sends the invitation only when automatic invitations are on
    Given automatic invitations are <setting>
    And Ada is a customer
    When a subscription is created for Ada
    Then she <outcome>

    Examples:
      | setting | outcome                   |
      | on      | receives an invitation    |
      | off     | receives no invitation    |

  @INV-3 @must
  Scenario: The invitation carries an invitation link and the management URL
    Given Ada was invited
    Then her invitation holds an invitation link
    And her invitation holds her management URL

  @INV-4 @must
  Scenario: Accepting the invitation signs the customer in and verifies her email
    Given Ada was invited
    When she accepts her invitation on her laptop
    Then her laptop shows her account
    And her email address is verified

  @INV-5 @must @clock
  Scenario Outline: An invitation link expires after its time to live
    Given invitations expire after 48 hours
    And Ada was invited <hours> hours ago
    When she accepts her invitation on her laptop
    Then her laptop <outcome>

    Examples:
      | hours | outcome                          |
      | 47    | shows her account                |
      | 48    | is offered a new login link      |

  @INV-6 @ref
  Scenario: Resending the invitation makes the earlier one invalid
    Given Ada was invited
    And the merchant invited Ada again
    When she opens her first invitation on her laptop
    Then her laptop is offered a new login link

  @INV-7 @must
  Scenario: A sixth invitation within 30 minutes is refused
    Given Ada was invited 5 times
    When the merchant invites Ada again
    Then the merchant is told there were too many invitations

  @INV-7 @must
  Scenario: Invitations sent by new subscriptions count towards the limit
    Given automatic invitations are on
    And 5 subscriptions were created for Ada
    When the merchant invites Ada again
    Then the merchant is told there were too many invitations

  @INV-7 @must @clock
  Scenario: Invitations can be sent again once 30 minutes have passed
    Given Ada was invited 5 times
    And 30 minutes passed
    When the merchant invites Ada again
    Then she receives a new invitation

  @INV-8 @must @password
  Scenario Outline: Accepting the invitation asks for a password only when password logins are on
    Given password logins are <setting>
    And Ada was invited
    When she accepts her invitation on her laptop
    Then her laptop <outcome>

    Examples:
      | setting | outcome                          |
      | on      | asks her to choose a password    |
      | off     | shows her account                |
