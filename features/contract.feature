Feature: The contract's own promises about sites
  Not rules of the access policy, but what CONTRACT v1 promises the suite: every scenario works
  in a test site of its own, with a clock of its own, behind the control token. The report shows
  these checks apart from the policy's rules; while one of them fails, no verdict can be trusted.

  @contract-1 @clock
  Scenario: Moving one site's clock leaves another site's clock where it was
    Given another merchant has a site of their own, both sites' clocks read
    When 3 days pass
    Then the other site's clock has not moved

  @contract-2 @clock
  Scenario: A new site starts at the real time
    When another merchant opens a site of their own
    Then the new site's clock shows the real time

  @contract-3
  Scenario Outline: The control API does not know a site it did not make or has deleted
    When the merchant asks for the policy of a site <which>
    Then the control API answers 404

    Examples:
      | which                |
      | that was deleted     |
      | that was never made  |

  @contract-4
  Scenario Outline: The control API refuses a call without the control token
    When someone calls the control API <credentials>
    Then the control API answers 401

    Examples:
      | credentials          |
      | without a token      |
      | with a wrong token   |
