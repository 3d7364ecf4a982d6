@password
Feature: Passwords
  Password logins are optional. When they are off there is no password form and no password
  sign-in; when they are on, a customer who chose a password can sign in with it.

  Background:
    Given password logins are on

  @PW-1 @must
  Scenario: With password logins off the sign-in page offers no password form
    Given password logins were turned off
    When Ada visits the sign-in page on her laptop
    Then her laptop offers no password form

  @PW-2 @must
  Scenario: With password logins on the sign-in page offers a password form
    When Ada visits the sign-in page on her laptop
    Then her laptop offers a password form

  @PW-1 @must
  Scenario: With password logins off a password sign-in is refused
    Given Ada has a password and a verified laptop
    And she has the sign-in page open on her phone
    When password logins are turned off
    Then her password no longer signs her in on her phone

  @PW-2 @must
  Scenario: A verified customer signs in with her password on a new device
    Given Ada has a password and a verified laptop
    When she signs in with her password on her phone
    Then her phone shows her account

  @INV-8 @must
  Scenario: The password chosen on accepting the invitation signs her in on a new device
    Given Ada was invited
    When she accepts her invitation on her laptop
    And she chooses a password on her laptop
    And she signs in with her password on her phone
    Then her phone shows her account

  @EV-2 @must @clock
  Scenario: A password sign-in verifies the device for the management URL
    Given Ada has a password and a verified laptop
    And she signed in with her password on her phone
    When her session on her phone ends after 31 minutes of inactivity
    Then her management URL still opens her account on her phone

  @PW-3 @should
  Scenario: A wrong password and an unknown address get the same answer
    Given Ada has a password and a verified laptop
    When someone signs in as Ada with a wrong password and as an unknown address
    Then both answers read the same

  @PW-3 @should
  Scenario: A customer without a password and an unknown address get the same answer
    Given Ada was invited
    When someone signs in as Ada with a wrong password and as an unknown address
    Then both answers read the same

  @PW-4 @must
  Scenario: A customer who has not verified her email gets no access with her password
    Given Ada was invited
    And she has a password
    When she signs in with her password on her laptop
    Then her laptop does not show her account

  @PW-5 @must
  Scenario: Login links keep working when password logins are on
    Given Ada was invited
    And she asked for a login link on her laptop
    When she opens her login link on her laptop
    Then her laptop shows her account

  @PW-6 @should
  Scenario: Five wrong passwords lock the address for fifteen minutes
    Given Ada has a password and a verified laptop
    And someone tried 5 wrong passwords for Ada
    When she signs in with her password on her phone
    Then her phone does not show her account

  @PW-6 @should
  Scenario: Typing the address in capitals does not get round the lock
    Given Ada has a password and a verified laptop
    And someone tried 5 wrong passwords for Ada, typing her address in capitals
    When she signs in with her password on her phone
    Then her phone does not show her account

  @PW-6 @should
  Scenario: Wrong passwords count towards the lock however the address is typed
    Given Ada has a password and a verified laptop
    And someone tried 4 wrong passwords for Ada
    When someone tries a wrong password for Ada, typing her address in capitals
    And she signs in with her password on her phone
    Then her phone does not show her account

  @PW-6 @should @clock
  Scenario: The lock ends after fifteen minutes
    Given Ada has a password and a verified laptop
    And someone tried 5 wrong passwords for Ada 15 minutes ago
    When she signs in with her password on her phone
    Then her phone shows her account
