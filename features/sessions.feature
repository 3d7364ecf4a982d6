Feature: Sessions and inactivity
  A session ends after a period without activity. Activity keeps it alive, and the management URL
  starts a new one on a verified device without a new email.

  @SES-1 @must @clock
  Scenario Outline: A session ends after the idle timeout
    Given sessions end after 30 minutes of inactivity
    And Ada accepted her invitation on her laptop
    When <minutes> minutes pass
    Then her laptop <outcome>

    Examples:
      | minutes | outcome                |
      | 29      | shows her account      |
      | 30      | shows her signed out   |

  @SES-2 @must @clock
  Scenario: Activity before the timeout extends the session
    Given sessions end after 30 minutes of inactivity
    And Ada accepted her invitation on her laptop 20 minutes ago
    And she looked at her account on her laptop
    When 20 minutes pass
    Then her laptop shows her account

  @SES-3 @must @clock
  Scenario: After a timeout the management URL signs her in again without a new email
    Given Ada accepted her invitation on her laptop
    And her session on her laptop ended after 31 minutes of inactivity
    When she opens the management URL from her invitation on her laptop
    Then her laptop shows her account

  @SES-4 @ref
  Scenario: Signing out ends the session and the device's verification
    Given Ada accepted her invitation on her laptop
    When she signs out on her laptop
    Then her laptop shows her signed out
    And her management URL asks her laptop to verify this device

  @SES-4 @ref
  Scenario: A session cookie put back after signing out grants nothing
    Given Ada accepted her invitation on her laptop
    When she signs out on her laptop
    And she visits the portal on her laptop with the session cookie she signed out of
    Then her laptop does not show her account

  @SES-4 @ref
  Scenario: Signing out ends the session for a copy of its cookies too
    Given Ada accepted her invitation on her laptop
    And her session was copied from her laptop to her tablet
    When she signs out on her laptop
    And she visits the portal on her tablet
    Then her tablet shows her signed out

  @SES-5 @should
  Scenario: Session cookies are HttpOnly and SameSite=Lax
    Given Ada accepted her invitation on her laptop
    Then the session cookies on her laptop are HttpOnly and SameSite=Lax

  @SES-5 @should
  Scenario: The session identifier changes at sign-in
    Given Ada accepted her invitation on her laptop
    When she opens a new login link on her laptop
    Then the session cookie on her laptop has changed

  @SES-6 @must
  Scenario: A session on one device gives nothing to another
    Given Ada accepted her invitation on her laptop
    When she visits the portal on her phone
    Then her phone shows her signed out
