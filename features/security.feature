Feature: Security of the implementation
  Links are unguessable and single-use, tokens never linger in the address bar or leak through
  referrers, forms resist cross-site requests, and malformed input gets a clear refusal.

  @SEC-1 @should
  Scenario: Link tokens carry at least 128 bits and never repeat
    Given Ada was invited
    And she asked for 2 login links within the hour
    Then every link token in her emails carries at least 128 bits
    And no two link tokens in her emails are alike

  @SEC-2 @should
  Scenario: Two devices opening one login link at once: exactly one gets in
    Given Ada was invited
    And she asked for a login link on her laptop
    When she opens her login link on her laptop and her phone at the same moment
    Then exactly one of her laptop and her phone shows her account

  @SEC-3 @should
  Scenario: The token leaves the address bar and is never sent as a referrer
    Given Ada was invited
    When she accepts her invitation on her laptop
    Then her laptop's address bar holds no token from her invitation
    And every page her laptop was shown on the way asked for no referrer

  @SEC-3 @should
  Scenario: A login link's token is never sent as a referrer
    Given Ada was invited
    And she asked for a login link on her laptop
    When she opens her login link on her laptop
    Then every page her laptop was shown on the way asked for no referrer

  @SEC-4 @should
  Scenario: A form posted from another site is refused
    Given Ada was invited
    When a page on another site makes her laptop ask for a login link for Ada
    Then her laptop does not get the usual answer
    And she receives no new login link

  @SEC-5 @should
  Scenario Outline: A malformed link gets a clear refusal
    Given Ada was invited
    And she asked for a login link on her laptop
    When she opens her login link <damaged> on her laptop
    Then her laptop is told the link is not valid
    And the portal answered with a client error

    Examples:
      | damaged                   |
      | cut short                 |
      | with a garbled token      |
      | with an enormous token    |

  @SEC-5 @should
  Scenario Outline: Malformed input in the login-link form gets a clear refusal
    Given Ada was invited
    When someone sends the login-link form with <input> on her laptop
    Then the portal answered with a client error
    And she receives no new login link

    Examples:
      | input                                         |
      | her address without its at sign              |
      | her address followed by a line break and Bcc  |
      | her address padded to 5000 characters         |
