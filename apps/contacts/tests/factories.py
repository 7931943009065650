import factory

from apps.contacts.models import Contact, NewsletterSubscriber


class ContactFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Contact

    name = factory.Faker("name")
    email = factory.Sequence(lambda n: f"visitor{n}@example.com")
    subject = "Course question"
    message = "When does the next batch start?"


class SubscriberFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = NewsletterSubscriber

    email = factory.Sequence(lambda n: f"reader{n}@example.com")
    status = "confirmed"
