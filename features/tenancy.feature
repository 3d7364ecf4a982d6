Feature: Tenant isolation
  Every merchant has a site of their own. Nothing of one site works in another: a link, a
  management URL, a session or a verified device of one site grants nothing under another
  site's path.

  Background:
    Given another merchant has a site of their own

  @SEC-6 @should
  Scenario: An invitation link moved to another merchant's site grants nothing there
    Given Ada was invited
    When she opens her invitation link under the other site on her laptop
    Then her laptop is told the link is not valid
    And her laptop does not show her account

  @SEC-6 @should
  Scenario: A login link moved to another merchant's site grants nothing there
    Given Ada was invited
    And she asked for a login link on her laptop
    When she opens her login link under the other site on her laptop
    Then her laptop is told the link is not valid
    And her laptop does not show her account

  @SEC-6 @should
  Scenario: A management URL moved to another merchant's site grants nothing there
    Given Ada accepted her invitation on her laptop
    When she opens her management URL under the other site on her laptop
    Then her laptop is told the link is not valid
    And her laptop does not show her account

  @SEC-6 @should
  Scenario: A session of one site is no session in another merchant's site
    Given Ada accepted her invitation on her laptop
    When she visits the other site on her laptop with her session
    Then her laptop shows her signed out
    And her laptop does not show her account

  @SEC-6 @should
  Scenario: A device verified in one site is not verified in another merchant's site
    Given Ada accepted her invitation on her laptop
    And she accepted the other merchant's invitation on her phone
    When she opens her management URL of the other site on her laptop
    Then her laptop is asked to verify this device
    And her laptop does not show her account
