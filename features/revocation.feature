Feature: Revoking portal access
  Revoking a customer's portal access ends her sessions and makes every link she holds useless,
  until she is invited again.

  @REV-1 @must
  Scenario: Revocation ends the customer's session
    Given Ada accepted her invitation on her laptop
    When the merchant revokes Ada's portal access
    Then her laptop shows her signed out

  @REV-1 @must
  Scenario Outline: Revocation makes every link useless
    Given Ada accepted her invitation on her laptop
    And she asked for a login link on her laptop
    When the merchant revokes Ada's portal access
    And she opens <link> on her laptop
    Then her laptop does not show her account

    Examples:
      | link                 |
      | her management URL   |
      | her login link       |

  @REV-1 @must
  Scenario: Revocation leaves no device verified, even after a new invitation
    Given Ada accepted her invitation on her laptop
    And the merchant revoked Ada's portal access
    When the merchant invites Ada again
    Then her management URL asks her laptop to verify this device

  @REV-2 @should
  Scenario: A revoked customer who asks for a login link gets the usual answer and no email
    Given Ada's portal access was revoked
    When she asks for a login link on her laptop
    Then her laptop gets the usual answer
    And she receives no login link

  @REV-3 @must
  Scenario: Inviting again after a revocation leaves the old management URL invalid
    Given Ada's portal access was revoked
    And she kept her management URL
    When the merchant invites Ada again
    And she opens the management URL she kept on her laptop
    Then her laptop is told the link is not valid

  @REV-3 @must
  Scenario: The new invitation after a revocation works
    Given Ada accepted her invitation on her laptop
    And the merchant revoked Ada's portal access
    When the merchant invites Ada again
    And she accepts her new invitation on her phone
    Then her phone shows her account
